import { afterEach, describe, expect, it } from '@jest/globals';
import type { Sandbox } from '../../src/index.js';
import { expireBackoff, recordHistories, startTestSandbox } from './harness.js';

/** Issue 2's "done when": a signed queued webhook becomes one Fargate task whose record follows the job to its end. */
describe('a job from queued to completed', () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => {
    await sandbox?.stop();
    sandbox = undefined;
  });

  it.each([
    ['a personal access token', 'pat'],
    ['a GitHub App (installation token from a signed JWT)', 'app'],
  ])('runs one job on one task, authenticated with %s', async (_, auth) => {
    // A realistic pickup delay keeps the RUNNING event ahead of in_progress, as in AWS.
    sandbox = await startTestSandbox({ SANDBOX_GITHUB_AUTH: auth, SANDBOX_PICKUP_MS: '600' });
    const histories = recordHistories(sandbox);

    const job = await sandbox.autopilot.queueJob(['self-hosted', 'class:medium']);
    await sandbox.settle();

    const runnerId = `ecs-runner-${job.id}`;
    expect(histories.get(runnerId)).toEqual(['queued', 'starting', 'idle', 'busy', 'completed']);
    const record = await sandbox.store.get(runnerId);
    expect(record).toMatchObject({
      status: 'completed',
      conclusion: 'success',
      assignedJobId: job.id,
      jobId: job.id,
      repo: 'octo-org/octo-repo',
      labels: ['self-hosted', 'class:medium'],
      runnerClass: 'medium',
      cpu: 1024,
      memory: 2048,
      image: '000000000000.dkr.ecr.us-east-1.amazonaws.com/runner-fleet-runner:latest',
    });
    expect(record?.taskArn).toMatch(/^arn:aws:ecs:us-east-1:000000000000:task\/runner-fleet\//);
    expect(record?.githubRunnerId).toEqual(expect.any(Number));
    expect(record?.expiresAt).toEqual(expect.any(Number));

    // Exactly one task, started the way DESIGN §1 and issue 2 describe.
    expect(sandbox.ecs.tasksStarted).toBe(1);
    const task = [...sandbox.ecs.tasks.values()][0]!;
    expect(task).toMatchObject({ startedBy: runnerId, cpu: '1024', memory: '2048', capacityProviderName: 'FARGATE', lastStatus: 'STOPPED' });
    expect(task.containers[0]).toMatchObject({ name: 'runner', exitCode: 0 });
    // The task gets the name of its JIT config's SecureString, which its runner read and deleted.
    expect(task.environment.runner).toEqual({ RUNNER_JITCONFIG_PARAMETER: expect.stringMatching(new RegExp(`^/ecs-runner/jit/${runnerId}/[0-9a-f]{32}$`)) });
    expect(sandbox.ssm.under('/ecs-runner/jit/')).toEqual([]);
    expect(Object.fromEntries(task.tags.map((t) => [t.key, t.value]))).toEqual({ runnerId, repo: 'octo-org/octo-repo', jobId: String(job.id), runId: String(job.runId) });
    // The ephemeral runner is gone from GitHub once its job is done.
    expect(sandbox.github.runners.size).toBe(0);
    expect(sandbox.deadLetters()).toEqual([]);
  });

  it('launches a spot class on Fargate Spot', async () => {
    sandbox = await startTestSandbox({ SANDBOX_CLASS_SIZES: JSON.stringify({ small: { cpu: 256, memory: 512 }, cheap: { cpu: 512, memory: 1024, spot: true } }) });
    const job = await sandbox.autopilot.queueJob(['self-hosted', 'class:cheap']);
    await sandbox.settle();
    expect([...sandbox.ecs.tasks.values()][0]).toMatchObject({ capacityProviderName: 'FARGATE_SPOT', cpu: '512', memory: '1024' });
    expect((await sandbox.store.get(`ecs-runner-${job.id}`))?.status).toBe('completed');
  });

  it('starts a spot class on on-demand Fargate when Fargate Spot has no capacity', async () => {
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0', SANDBOX_CLASS_SIZES: JSON.stringify({ small: { cpu: 512, memory: 1024, spot: true } }) });
    sandbox.ecs.faults.spotCapacityOutageUntil = Date.now() + 60_000;
    const job = await sandbox.autopilot.queueJob(['self-hosted']);
    await sandbox.settle();
    expect(sandbox.ecs.tasksStarted).toBe(1);
    expect([...sandbox.ecs.tasks.values()][0]).toMatchObject({ capacityProviderName: 'FARGATE', startedBy: `ecs-runner-${job.id}` });
    expect((await sandbox.store.get(`ecs-runner-${job.id}`))?.status).toBe('idle');
    expect(sandbox.awsCalls['ECS.RunTask']).toBe(2);
  });

  it('waits out an ECS capacity outage with backoff, then starts one task', async () => {
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0' });
    sandbox.ecs.faults.capacityOutageUntil = Date.now() + 30_000;
    const job = await sandbox.autopilot.queueJob(['self-hosted']);
    const runnerId = `ecs-runner-${job.id}`;
    await sandbox.settle();
    expect(await sandbox.store.get(runnerId)).toMatchObject({ status: 'queued', launchAttempts: 1 });

    // A minute later the outage still lasts: attempt 2 waits longer.
    await expireBackoff(sandbox, runnerId);
    await sandbox.runHousekeeping();
    await sandbox.settle();
    expect(await sandbox.store.get(runnerId)).toMatchObject({ status: 'queued', launchAttempts: 2 });
    expect((await sandbox.store.get(runnerId))?.statusReason).toMatch(/Capacity is unavailable.*\(attempt 2 of 5; next try in 60 s\)$/);

    sandbox.ecs.faults.capacityOutageUntil = 0; // the 30 s are over
    await expireBackoff(sandbox, runnerId);
    await sandbox.runHousekeeping();
    await sandbox.settle();
    expect(sandbox.ecs.tasksStarted).toBe(1);
    expect((await sandbox.store.get(runnerId))?.status).toBe('idle');
    expect(sandbox.github.runners.size).toBe(1);
    expect(sandbox.deadLetters()).toEqual([]);
    expect(sandbox.metrics.total('LaunchFailures', 'capacity')).toBe(2);
  });

  it('fails a runner whose task exits before taking a job, and removes it from GitHub', async () => {
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0' });
    const histories = recordHistories(sandbox);
    const job = await sandbox.autopilot.queueJob(['self-hosted']);
    await sandbox.settle();
    const runnerId = `ecs-runner-${job.id}`;
    expect((await sandbox.store.get(runnerId))?.status).toBe('idle');
    expect(sandbox.github.findRunnerByName(runnerId)?.status).toBe('online');

    const task = [...sandbox.ecs.tasks.values()][0]!;
    sandbox.ecs.exitTask(task.taskArn, 2, 'runner crashed');
    await sandbox.settle();

    expect(histories.get(runnerId)).toEqual(['queued', 'starting', 'idle', 'failed']);
    expect((await sandbox.store.get(runnerId))?.statusReason).toBe('stopped before taking a job (exit 2, ECS: EssentialContainerExited: Essential container in task exited: runner crashed)');
    expect(sandbox.github.findRunnerByName(runnerId)).toBeUndefined();
  });
});
