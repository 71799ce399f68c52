import { afterEach, describe, expect, it } from '@jest/globals';
import { EcsSimulator } from '../src/aws/ecs.js';
import type { EventBridgeSimulator } from '../src/aws/eventbridge.js';
import { AwsError } from '../src/aws/protocol.js';

/** The simulated ECS refuses what ECS refuses (botocore's ECS model and the ECS API reference). */
describe('simulated ECS', () => {
  const bus = { emit: () => undefined } as unknown as EventBridgeSimulator;
  let ecs: EcsSimulator;
  afterEach(() => ecs?.close());

  async function setUp() {
    ecs = new EcsSimulator('eu-west-1', bus, { taskStartMs: 60_000 });
    const ops = ecs.service().operations;
    await ops.CreateCluster!({ clusterName: 'fleet', capacityProviders: ['FARGATE', 'FARGATE_SPOT'] });
    await ops.RegisterTaskDefinition!({
      family: 'runner',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '512',
      memory: '1024',
      containerDefinitions: [{ name: 'runner', image: 'runner:1', essential: true }],
    });
    return ops;
  }
  const runInput = (startedBy: string, extra: Record<string, unknown> = {}) => ({
    cluster: 'fleet',
    taskDefinition: 'runner',
    startedBy,
    capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
    networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } },
    ...extra,
  });
  const errorOf = async (call: () => unknown) => {
    try {
      await call();
    } catch (error) {
      return error as AwsError;
    }
    throw new Error('the call succeeded');
  };

  it('refuses ListTasks with startedBy and another filter (startedBy must be the only filter)', async () => {
    const ops = await setUp();
    const error = await errorOf(() => ops.ListTasks!({ cluster: 'fleet', startedBy: 'r-1', desiredStatus: 'RUNNING' }));
    expect(error).toBeInstanceOf(AwsError);
    expect(error.code).toBe('InvalidParameterException');
  });

  it('lists tasks by startedBy alone, whatever their desired status', async () => {
    const ops = await setUp();
    const { tasks } = (await ops.RunTask!(runInput('r-1'))) as { tasks: Array<{ taskArn: string }> };
    await ops.StopTask!({ cluster: 'fleet', task: tasks[0]!.taskArn });
    expect(await ops.ListTasks!({ cluster: 'fleet', startedBy: 'r-1' })).toEqual({ taskArns: [tasks[0]!.taskArn] });
    expect(await ops.ListTasks!({ cluster: 'fleet', startedBy: 'r-2' })).toEqual({ taskArns: [] });
  });

  it('accepts a 128-character startedBy and refuses 129', async () => {
    const ops = await setUp();
    await expect(Promise.resolve(ops.RunTask!(runInput('a'.repeat(128))))).resolves.toMatchObject({ tasks: [expect.anything()] });
    expect((await errorOf(() => ops.RunTask!(runInput('a'.repeat(129))))).code).toBe('InvalidParameterException');
  });

  it('answers the same task for the same clientToken and parameters, and ConflictException for other parameters', async () => {
    const ops = await setUp();
    const first = (await ops.RunTask!(runInput('r-1', { clientToken: 'tok-1' }))) as { tasks: Array<{ taskArn: string }> };
    const again = (await ops.RunTask!(runInput('r-1', { clientToken: 'tok-1' }))) as { tasks: Array<{ taskArn: string }> };
    expect(again.tasks[0]!.taskArn).toBe(first.tasks[0]!.taskArn);
    const conflict = await errorOf(() => ops.RunTask!(runInput('r-1', { clientToken: 'tok-1', overrides: { containerOverrides: [{ name: 'runner', environment: [{ name: 'RUNNER_JITCONFIG', value: 'new' }] }] } })));
    expect(conflict.code).toBe('ConflictException');
  });

  it('reports a just-started task MISSING from DescribeTasks while describeLagMs lasts', async () => {
    const ops = await setUp();
    ecs.faults.describeLagMs = 60_000;
    const { tasks } = (await ops.RunTask!(runInput('r-1'))) as { tasks: Array<{ taskArn: string }> };
    expect(await ops.DescribeTasks!({ cluster: 'fleet', tasks: [tasks[0]!.taskArn] })).toEqual({ tasks: [], failures: [{ arn: tasks[0]!.taskArn, reason: 'MISSING' }] });
    ecs.faults.describeLagMs = 0;
    expect(await ops.DescribeTasks!({ cluster: 'fleet', tasks: [tasks[0]!.taskArn] })).toMatchObject({ tasks: [{ taskArn: tasks[0]!.taskArn }], failures: [] });
  });

  it('reports what Fargate bills: pull start before startedAt, stoppedAt, the ephemeral storage asked for (20 GiB by default) and the CPU architecture', async () => {
    ecs = new EcsSimulator('eu-west-1', bus, { taskStartMs: 10 });
    const ops = ecs.service().operations;
    await ops.CreateCluster!({ clusterName: 'fleet', capacityProviders: ['FARGATE'] });
    await ops.RegisterTaskDefinition!({
      family: 'runner',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '512',
      memory: '1024',
      runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
      containerDefinitions: [{ name: 'runner', image: 'runner:1', essential: true }],
    });
    const started = (await ops.RunTask!(runInput('r-1'))) as { tasks: Array<{ taskArn: string }> };
    const enlarged = (await ops.RunTask!(runInput('r-2', { overrides: { ephemeralStorage: { sizeInGiB: 60 } } }))) as { tasks: Array<{ taskArn: string }> };
    const describe = async (arn: string) => ((await ops.DescribeTasks!({ cluster: 'fleet', tasks: [arn] })) as { tasks: Array<Record<string, unknown>> }).tasks[0]!;
    const until = async (arn: string, status: string) => {
      for (let i = 0; i < 500 && (await describe(arn)).lastStatus !== status; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      return describe(arn);
    };
    const running = await until(started.tasks[0]!.taskArn, 'RUNNING');
    expect(running).toMatchObject({ ephemeralStorage: { sizeInGiB: 20 }, attributes: [{ name: 'ecs.cpu-architecture', value: 'arm64' }] });
    expect(running.pullStartedAt as number).toBeLessThanOrEqual(running.startedAt as number);
    expect(await describe(enlarged.tasks[0]!.taskArn)).toMatchObject({ ephemeralStorage: { sizeInGiB: 60 } });

    await ops.StopTask!({ cluster: 'fleet', task: started.tasks[0]!.taskArn, reason: 'test' });
    const stopped = await until(started.tasks[0]!.taskArn, 'STOPPED');
    expect(stopped.stoppedAt as number).toBeGreaterThanOrEqual(stopped.startedAt as number);
  });
});
