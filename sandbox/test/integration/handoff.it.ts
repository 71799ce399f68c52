import { afterEach, describe, expect, it } from '@jest/globals';
import { workflowJobPayload, type Sandbox } from '../../src/index.js';
import { QUEUED_REDISPATCH_MS } from '../../../lambda/src/domain/housekeeping.js';
import { backdate, nextJobId, startTestSandbox } from './harness.js';

/**
 * Issue 17: ingress's one conditional write is the hand-off, and the table's stream
 * carries it to dispatch. The hand-off is cut at each step (write done but the stream
 * not yet delivered, the stream delivering twice, dispatch failing, dispatch failing
 * past every retry) and each time the job runs on exactly one task.
 */
describe('the hand-off from ingress to dispatch, cut at each step', () => {
  let sandbox: (Sandbox & { problems: string[] }) | undefined;
  afterEach(async () => {
    await sandbox?.stop();
    sandbox = undefined;
  });
  const repo = 'octo-org/octo-repo';
  const queued = (id: number) => workflowJobPayload('queued', repo, { id, runId: id - 1, labels: ['self-hosted'] });
  const tasksOf = (s: Sandbox, runnerId: string) => [...s.ecs.tasks.values()].filter((t) => t.startedBy === runnerId).length;

  it('write done, stream not delivered yet: the job waits in the stream, redeliveries are duplicates, and it launches once', async () => {
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0' });
    const id = nextJobId();
    const runnerId = `ecs-runner-${id}`;
    sandbox.stream.pause(); // Lambda's poller is down (or the Lambda crashed right after the write)
    const first = await sandbox.webhooks.send('workflow_job', queued(id));
    expect(first.body).toEqual({ status: 'accepted', runnerId });
    // GitHub redelivers (same delivery id), and sends the event again under a new one: neither writes a second hand-off.
    expect((await sandbox.webhooks.send('workflow_job', queued(id), { deliveryId: first.deliveryId })).body).toEqual({ status: 'duplicate' });
    expect((await sandbox.webhooks.send('workflow_job', queued(id))).body).toEqual({ status: 'duplicate' });
    expect(await sandbox.store.get(runnerId)).toMatchObject({ status: 'queued' });
    expect(sandbox.stream.pending).toBe(1);
    expect(sandbox.ecs.tasksStarted).toBe(0);

    sandbox.stream.resume();
    await sandbox.settle();
    expect(await sandbox.store.get(runnerId)).toMatchObject({ status: 'idle' });
    expect(tasksOf(sandbox, runnerId)).toBe(1);
    expect(sandbox.github.runners.size).toBe(1);
    expect(sandbox.problems).toEqual([]);
  });

  it('the stream delivers the same record again (at least once): no second task, no second registration', async () => {
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0' });
    const id = nextJobId();
    const runnerId = `ecs-runner-${id}`;
    await sandbox.webhooks.send('workflow_job', queued(id));
    await sandbox.settle();
    expect(tasksOf(sandbox, runnerId)).toBe(1);

    const again = sandbox.stream.redeliver((r) => r.eventName === 'INSERT' && r.dynamodb?.Keys?.runnerId?.S === runnerId);
    expect(again).toBe(1);
    await sandbox.settle();
    expect(tasksOf(sandbox, runnerId)).toBe(1);
    expect(sandbox.ecs.tasksStarted).toBe(1);
    expect(sandbox.github.runners.size).toBe(1);
    expect(await sandbox.store.get(runnerId)).toMatchObject({ status: 'idle' });
  });

  it('dispatch fails (the invocation crashes, three times): the stream retries and the job launches once', async () => {
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0' });
    const id = nextJobId();
    const runnerId = `ecs-runner-${id}`;
    sandbox.stream.faults.invocationFailures = 3;
    await sandbox.webhooks.send('workflow_job', queued(id));
    await sandbox.settle();
    expect(sandbox.stream.faults.invocationFailures).toBe(0);
    expect(sandbox.failedInvocations()).toBe(3);
    expect(tasksOf(sandbox, runnerId)).toBe(1);
    expect(await sandbox.store.get(runnerId)).toMatchObject({ status: 'idle' });
    expect(sandbox.deadLetters()).toEqual([]);
  });

  it('dispatch fails past every retry: the dead-letter queue gets the batch, the job stays queued, and housekeeping launches it once', async () => {
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0', SANDBOX_RETRY_MS: '2' });
    const id = nextJobId();
    const runnerId = `ecs-runner-${id}`;
    // The first try and all 8 retries of modules/control-plane/stream-mapping.json's launches mapping fail.
    sandbox.stream.faults.invocationFailures = 9;
    await sandbox.webhooks.send('workflow_job', queued(id));
    await sandbox.settle();
    expect(sandbox.stream.faults.invocationFailures).toBe(0);
    expect(sandbox.stream.failures).toHaveLength(1);
    expect(sandbox.stream.failures[0]).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 9 },
      DDBStreamBatchInfo: { batchSize: 1, streamArn: sandbox.stream.streamArn },
    });
    expect(sandbox.deadLetters()).toHaveLength(1);
    expect(await sandbox.store.get(runnerId)).toMatchObject({ status: 'queued' });
    expect(sandbox.ecs.tasksStarted).toBe(0);

    // Not lost: the record waits, and housekeeping dispatches a queued record older than its threshold again.
    await sandbox.runHousekeeping();
    await sandbox.settle();
    expect(sandbox.ecs.tasksStarted).toBe(0);
    await backdate(sandbox, runnerId, ['updatedAt'], QUEUED_REDISPATCH_MS / 60_000 + 1);
    await sandbox.runHousekeeping();
    await sandbox.settle();
    expect(await sandbox.store.get(runnerId)).toMatchObject({ status: 'idle', redispatches: 1 });
    expect(tasksOf(sandbox, runnerId)).toBe(1);
  });

  it('a job update whose dispatch fails is retried: the runner records its job and ends once', async () => {
    sandbox = await startTestSandbox({ SANDBOX_JOB_MS: '200' });
    const runners = new Map<string, string[]>();
    sandbox.onRecordWrite((r) => runners.set(r.runnerId, [...(runners.get(r.runnerId) ?? []), r.status]));
    const job = await sandbox.autopilot.queueJob(['self-hosted']);
    const runnerId = `ecs-runner-${job.id}`;
    // Once the runner is up, the next invocations (its job's in_progress and completed) crash twice before running.
    await new Promise<void>((resolve) => {
      const stop = sandbox!.onRecordWrite((r) => {
        if (r.runnerId === runnerId && r.status === 'idle') {
          sandbox!.stream.faults.invocationFailures = 2;
          stop();
          resolve();
        }
      });
    });
    await sandbox.settle();
    expect(sandbox.failedInvocations()).toBeGreaterThanOrEqual(2);
    expect(await sandbox.store.get(runnerId)).toMatchObject({ status: 'completed', assignedJobId: job.id, conclusion: 'success' });
    expect(runners.get(runnerId)).toContain('busy');
    expect(tasksOf(sandbox, runnerId)).toBe(1);
    expect(sandbox.ecs.tasksStarted).toBe(1);
  });
});
