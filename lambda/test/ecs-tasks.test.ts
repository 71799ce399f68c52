import { describe, expect, it } from '@jest/globals';
import type { ECSClient } from '@aws-sdk/client-ecs';
import { createRunnerTasks } from '../src/adapters/ecs-tasks.js';
import { CapacityError, LaunchRefusedError, RetryableError, ThrottledError, type LaunchSpec } from '../src/domain/ports.js';
import { MAX_CLIENT_TOKEN_LENGTH, runTaskToken } from '../src/domain/launch-runner.js';
import type { Config } from '../src/config.js';

type Sent = { command: string; input: Record<string, unknown> };

/** An ECS client that records each command and answers from a script. */
function fakeEcs(answer: (command: string, input: Record<string, unknown>) => unknown) {
  const sent: Sent[] = [];
  const client = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const name = command.constructor.name.replace(/Command$/, '');
      sent.push({ command: name, input: command.input });
      return answer(name, command.input);
    },
  } as unknown as ECSClient;
  return { client, sent };
}

const config = { ecsCluster: 'fleet', subnetIds: ['subnet-1'], securityGroupIds: ['sg-1'], assignPublicIp: false } as unknown as Config;
const spec: LaunchSpec = { runnerId: 'ecs-runner-1', taskDefinition: 'runner', containerName: 'runner', cpu: 1024, memory: 2048, spot: false, clientToken: 't', jitConfigParameter: '/fleet/jit/ecs-runner-1/0123abcd', tags: {} };

function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

async function runFailure(error: Error): Promise<unknown> {
  const { client } = fakeEcs(() => {
    throw error;
  });
  return createRunnerTasks(client, config).run(spec).catch((e: unknown) => e);
}

describe('findLive', () => {
  it('filters ListTasks by startedBy alone (ECS: it must be the only filter) and checks the desired status on DescribeTasks', async () => {
    const { client, sent } = fakeEcs((command) =>
      command === 'ListTasks'
        ? { taskArns: ['arn:stopped', 'arn:live'] }
        : { tasks: [{ taskArn: 'arn:stopped', desiredStatus: 'STOPPED' }, { taskArn: 'arn:live', desiredStatus: 'RUNNING' }] },
    );
    await expect(createRunnerTasks(client, config).findLive('ecs-runner-1')).resolves.toBe('arn:live');
    expect(sent[0]).toEqual({ command: 'ListTasks', input: { cluster: 'fleet', startedBy: 'ecs-runner-1' } });
  });

  it('answers undefined when every task of the runner is stopping', async () => {
    const { client } = fakeEcs((command) => (command === 'ListTasks' ? { taskArns: ['arn:a'] } : { tasks: [{ taskArn: 'arn:a', desiredStatus: 'STOPPED' }] }));
    await expect(createRunnerTasks(client, config).findLive('ecs-runner-1')).resolves.toBeUndefined();
  });
});

describe('RunTask', () => {
  it("gives the runner container the JIT config's parameter name, and no other environment", async () => {
    const { client, sent } = fakeEcs(() => ({ tasks: [{ taskArn: 'arn:task/1' }], failures: [] }));
    await createRunnerTasks(client, config).run(spec);
    const overrides = sent[0]!.input.overrides as { containerOverrides: unknown[] };
    expect(overrides.containerOverrides).toEqual([{ name: 'runner', environment: [{ name: 'RUNNER_JITCONFIG_PARAMETER', value: '/fleet/jit/ecs-runner-1/0123abcd' }] }]);
  });
});

describe('RunTask errors', () => {
  it('treats InvalidParameterException "Request limit exceeded" as throttling, not a refusal', async () => {
    expect(await runFailure(awsError('InvalidParameterException', 'Request limit exceeded.'))).toBeInstanceOf(ThrottledError);
  });

  it('treats ThrottlingException as throttling', async () => {
    expect(await runFailure(awsError('ThrottlingException', 'Rate exceeded'))).toBeInstanceOf(ThrottledError);
  });

  it('treats ServerException as retryable', async () => {
    const error = await runFailure(awsError('ServerException', 'Service unavailable'));
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).not.toBeInstanceOf(ThrottledError);
  });

  it('treats a clientToken conflict (ConflictException) as retryable: the next attempt carries a new token', async () => {
    expect(await runFailure(awsError('ConflictException', 'The request uses the same client token as a previous, but non-identical request.'))).toBeInstanceOf(RetryableError);
  });

  it.each([
    ['InvalidParameterException', 'Override for container named x is not a container in the TaskDefinition.'],
    ['ClientException', 'No Fargate configuration exists for given values.'],
    ['PlatformTaskDefinitionIncompatibilityException', 'The specified platform does not satisfy the task definition required capabilities'],
  ])('refuses the launch for good on %s', async (name, message) => {
    expect(await runFailure(awsError(name, message))).toBeInstanceOf(LaunchRefusedError);
  });

  it('passes other errors (e.g. a timeout) through unchanged: a task may exist', async () => {
    const timeout = awsError('TimeoutError', 'socket hang up');
    expect(await runFailure(timeout)).toBe(timeout);
  });

  it.each(['RESOURCE:MEMORY', 'RESOURCE:ENI', 'Capacity is unavailable at this time. Please try again later or in a different availability zone'])(
    'reads a "%s" failure as no capacity',
    async (reason) => {
      const { client } = fakeEcs(() => ({ tasks: [], failures: [{ arn: 'arn:x', reason }] }));
      expect(await createRunnerTasks(client, config).run(spec).catch((e: unknown) => e)).toBeInstanceOf(CapacityError);
    },
  );

  it('reads another failure reason as retryable, not capacity', async () => {
    const { client } = fakeEcs(() => ({ tasks: [], failures: [{ arn: 'arn:x', reason: 'MISSING' }] }));
    const error = await createRunnerTasks(client, config).run(spec).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).not.toBeInstanceOf(CapacityError);
  });
});

describe('runTaskToken', () => {
  const longId = `${'p'.repeat(111)}-1234567890123456`;

  it('fits ECS (at most 64 characters in the range 33-126) even for a 128-character runner id', () => {
    const token = runTaskToken(longId, 'jit', true);
    expect(longId).toHaveLength(128);
    expect(token.length).toBeLessThanOrEqual(MAX_CLIENT_TOKEN_LENGTH);
    expect(token).toMatch(/^[\x21-\x7e]+$/);
  });

  it('is stable for a retry of the same attempt', () => {
    expect(runTaskToken('r-1', 'jit-a', false)).toBe(runTaskToken('r-1', 'jit-a', false));
  });

  it('changes with a new JIT config (a new attempt) and with the capacity provider (the on-demand fallback)', () => {
    const first = runTaskToken('r-1', 'jit-a', true);
    expect(runTaskToken('r-1', 'jit-b', true)).not.toBe(first);
    expect(runTaskToken('r-1', 'jit-a', false)).not.toBe(first);
    expect(runTaskToken('r-2', 'jit-a', true)).not.toBe(first);
  });
});
