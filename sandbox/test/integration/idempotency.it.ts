import { afterEach, describe, expect, it } from '@jest/globals';
import { workflowJobPayload, type Sandbox } from '../../src/index.js';
import { expireBackoff, nextJobId, recordHistories, startTestSandbox } from './harness.js';

/** Issue 2's idempotency and ordering cases: redeliveries, duplicates and late events start nothing twice. */
describe('exactly one task per job', () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => {
    await sandbox?.stop();
    sandbox = undefined;
  });
  const repo = 'octo-org/octo-repo';
  const job = (id: number, extra: Partial<{ runnerName: string; conclusion: string }> = {}) => ({ id, runId: id - 1, labels: ['self-hosted'], ...extra });

  it('starts one task for the same delivery sent three times', async () => {
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0' });
    const id = nextJobId();
    const payload = workflowJobPayload('queued', repo, job(id));
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push((await sandbox.webhooks.send('workflow_job', payload, { deliveryId: '9a1b2c3d-0000-4000-8000-000000000001' })).body.status);
    await sandbox.settle();
    expect(answers).toEqual(['accepted', 'duplicate', 'duplicate']);
    expect(sandbox.awsCalls['ECS.RunTask']).toBe(1);
    expect(sandbox.ecs.tasksStarted).toBe(1);
  });

  it('starts one task for the same job in two different deliveries, even sent at once', async () => {
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0' });
    const id = nextJobId();
    const payload = workflowJobPayload('queued', repo, job(id));
    const answers = await Promise.all([sandbox.webhooks.send('workflow_job', payload), sandbox.webhooks.send('workflow_job', payload)]);
    await sandbox.settle();
    expect(answers.map((a) => a.body.status).sort()).toEqual(['accepted', 'duplicate']);
    expect(sandbox.ecs.tasksStarted).toBe(1);
  });

  it('starts no task for a job whose completed arrives before its queued', async () => {
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0' });
    const id = nextJobId();
    await sandbox.webhooks.send('workflow_job', workflowJobPayload('completed', repo, job(id, { conclusion: 'cancelled' })));
    await sandbox.settle();
    const late = await sandbox.webhooks.send('workflow_job', workflowJobPayload('queued', repo, job(id)));
    await sandbox.settle();
    expect(late.body.status).toBe('duplicate');
    expect(sandbox.ecs.tasksStarted).toBe(0);
    expect(await sandbox.store.get(`ecs-runner-${id}`)).toMatchObject({ status: 'cancelled', conclusion: 'cancelled' });
  });

  it('records busy when in_progress arrives before the task is RUNNING, and never goes back to idle', async () => {
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0', SANDBOX_TASK_START_MS: '400' });
    const histories = recordHistories(sandbox);
    const id = nextJobId();
    const runnerName = `ecs-runner-${id}`;
    await sandbox.webhooks.send('workflow_job', workflowJobPayload('queued', repo, job(id)));
    await sandbox.dispatchIdle();
    expect((await sandbox.store.get(runnerName))?.status).toBe('starting');

    const started = await sandbox.webhooks.send('workflow_job', workflowJobPayload('in_progress', repo, job(id, { runnerName })));
    expect(started.body.status).toBe('accepted');
    await sandbox.settle();

    expect(histories.get(runnerName)).toEqual(['queued', 'starting', 'busy']);
    expect(await sandbox.store.get(runnerName)).toMatchObject({ status: 'busy', assignedJobId: id });
  });

  it('answers a redelivered in_progress as a duplicate', async () => {
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0' });
    const id = nextJobId();
    const payload = workflowJobPayload('in_progress', repo, job(id, { runnerName: `ecs-runner-${id}` }));
    const first = await sandbox.webhooks.send('workflow_job', payload);
    const again = await sandbox.webhooks.send('workflow_job', payload, { deliveryId: first.deliveryId });
    expect([first.body.status, again.body.status]).toEqual(['accepted', 'duplicate']);
  });

  it('finds the task of a dispatch that died after RunTask and starts no second one', async () => {
    // The task starts only after the retried dispatch, so the injected faults hit the dispatch alone.
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0', SANDBOX_TASK_START_MS: '1500' });
    const id = nextJobId();
    // The record update after RunTask fails on all 4 attempts the DynamoDB client makes: the dispatch dies and is retried.
    sandbox.dynamoFaults.updateItemFailures = 4;
    await sandbox.webhooks.send('workflow_job', workflowJobPayload('queued', repo, job(id)));
    await sandbox.settle();

    expect(sandbox.failedInvocations()).toBe(1);
    expect(sandbox.ecs.tasksStarted).toBe(1);
    expect(sandbox.awsCalls['ECS.ListTasks']).toBe(1);
    const record = await sandbox.store.get(`ecs-runner-${id}`);
    expect(record?.status).toBe('idle');
    expect(record?.taskArn).toBe([...sandbox.ecs.tasks.keys()][0]);
    expect(record?.githubRunnerId).toBe(sandbox.github.findRunnerByName(`ecs-runner-${id}`)?.id);
  });

  it('retries through GitHub errors and launches once GitHub answers', async () => {
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0' });
    sandbox.github.faults.downUntil = Date.now() + 150;
    const id = nextJobId();
    await sandbox.webhooks.send('workflow_job', workflowJobPayload('queued', repo, job(id)));
    await sandbox.settle();
    expect((await sandbox.store.get(`ecs-runner-${id}`))?.status).toBe('idle');
    expect(sandbox.ecs.tasksStarted).toBe(1);
    expect(sandbox.deadLetters()).toEqual([]);
  });

  it('keeps the runner queued when RunTask throttling outlasts the SDK retries, counts no launch attempt, then starts one task', async () => {
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0' });
    // As many throttled answers as the SDK's 5 adaptive attempts: the launch waits seconds, counted as throttled, never as a failure.
    sandbox.ecs.faults.runTaskThrottles = 5;
    const id = nextJobId();
    const runnerId = `ecs-runner-${id}`;
    await sandbox.webhooks.send('workflow_job', workflowJobPayload('queued', repo, job(id)));
    await sandbox.settle();
    const waiting = await sandbox.store.get(runnerId);
    expect(waiting).toMatchObject({ status: 'queued' });
    expect(waiting?.launchAttempts ?? 0).toBe(0);
    expect(waiting?.statusReason).toMatch(/^ECS throttled RunTask: Rate exceeded; tried again in [2-5] s/);
    expect(sandbox.github.runners.size).toBe(0);
    expect(sandbox.metrics.total('RunTaskThrottled')).toBe(1);
    expect(sandbox.metrics.total('LaunchFailures', 'throttled')).toBe(0);

    await expireBackoff(sandbox, runnerId);
    await sandbox.runHousekeeping();
    await sandbox.settle();
    expect(sandbox.failedInvocations()).toBe(0);
    expect(sandbox.ecs.tasksStarted).toBe(1);
    expect((await sandbox.store.get(runnerId))?.status).toBe('idle');
    // The throttled attempt's registration was removed; the retry registered once more.
    expect(sandbox.github.calls['POST /repos/{owner}/{repo}/actions/runners/generate-jitconfig']).toBe(2);
    expect(sandbox.github.runners.size).toBe(1);
  });

  it("waits out GitHub's secondary rate limit and launches", async () => {
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0' });
    sandbox.github.faults.secondaryRateLimits = 1;
    const id = nextJobId();
    await sandbox.webhooks.send('workflow_job', workflowJobPayload('queued', repo, job(id)));
    await sandbox.settle();
    expect(sandbox.failedInvocations()).toBe(0);
    expect(sandbox.ecs.tasksStarted).toBe(1);
    expect((await sandbox.store.get(`ecs-runner-${id}`))?.status).toBe('idle');
  });

  it('stops the task when the job was cancelled while its task was being started', async () => {
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0' });
    const id = nextJobId();
    const runnerName = `ecs-runner-${id}`;
    // GitHub is slow for the dispatch; the job is cancelled before the task is recorded.
    sandbox.github.faults.downUntil = Date.now() + 150;
    await sandbox.webhooks.send('workflow_job', workflowJobPayload('queued', repo, job(id)));
    await sandbox.webhooks.send('workflow_job', workflowJobPayload('completed', repo, job(id, { conclusion: 'cancelled' })));
    await sandbox.settle();
    expect(await sandbox.store.get(runnerName)).toMatchObject({ status: 'cancelled' });
    expect(sandbox.ecs.liveTasks()).toEqual([]);
    expect(sandbox.github.findRunnerByName(runnerName)).toBeUndefined();
  });
});
