import { afterEach, describe, expect, it } from '@jest/globals';
import { workflowJobPayload, type Sandbox } from '../../src/index.js';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { CAPACITY_LEDGER_KEY } from '@runner-fleet/core/store';
import { SANDBOX_PAT } from '../../src/defaults.js';
import { backdate, nextJobId, startTestSandbox, tableClient, TIME_SCALE } from './harness.js';

const ACTIVE = new Set(['starting', 'idle', 'busy']);

/** Counts active runners from the record writes, and remembers the most seen at once. */
function watchActive(sandbox: Sandbox): { max: number } {
  const statusOf = new Map<string, string>();
  const seen = { max: 0 };
  sandbox.onRecordWrite((record) => {
    statusOf.set(record.runnerId, record.status);
    seen.max = Math.max(seen.max, [...statusOf.values()].filter((s) => ACTIVE.has(s)).length);
  });
  return seen;
}

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
});
const repo = 'octo-org/octo-repo';

describe('the MAX_RUNNERS cap', () => {

  it('gives the last slot to one of two racing dispatches; the other starts when it frees', async () => {
    sandbox = await startTestSandbox({ MAX_RUNNERS: '1', SANDBOX_JOB_MS: '300' });
    const active = watchActive(sandbox);
    const [a, b] = await Promise.all([sandbox.autopilot.queueJob(['self-hosted']), sandbox.autopilot.queueJob(['self-hosted'])]);
    await sandbox.dispatchIdle();
    const records = await Promise.all([a, b].map((j) => sandbox!.store.get(`ecs-runner-${j.id}`)));
    expect(records.filter((r) => r?.status === 'queued' && r.retryAt)).toHaveLength(1);
    expect(sandbox.ecs.tasksStarted).toBe(1);

    await sandbox.settle();
    for (const j of [a, b]) expect((await sandbox.store.get(`ecs-runner-${j.id}`))?.status).toBe('completed');
    expect(sandbox.ecs.tasksStarted).toBe(2);
    expect(active.max).toBe(1);
  });

  it('starts waiting jobs oldest first as slots free', async () => {
    sandbox = await startTestSandbox({ MAX_RUNNERS: '2', SANDBOX_JOB_MS: '100' });
    const started: string[] = [];
    sandbox.onRecordWrite((r) => r.status === 'starting' && !started.includes(r.runnerId) && started.push(r.runnerId));
    const active = watchActive(sandbox);
    // No slot frees while the backlog is queued: a webhook arriving as a slot frees may take it
    // before a waiting job (README, Capacity cap), which is not what this test is about.
    const release = sandbox.autopilot.holdJobs();
    const jobs = [];
    for (let i = 0; i < 8; i++) jobs.push(await sandbox.autopilot.queueJob(['self-hosted']));
    await sandbox.settle();
    // The stream delivers different keys' records in parallel (as Lambda does with a parallelization
    // factor), so which two jobs take the free slots first is a race; the ones left waiting go oldest first.
    expect(started).toHaveLength(2);
    const ids = jobs.map((j) => `ecs-runner-${j.id}`);
    const waiting = ids.filter((id) => !started.includes(id));
    expect(waiting).toHaveLength(6);
    release();
    await sandbox.settle();
    expect(started.slice(2)).toEqual(waiting);
    expect(active.max).toBe(2);
    expect(sandbox.ecs.tasksStarted).toBe(8);
  });

  it('frees a slot held by a runner that ended without releasing it', async () => {
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0', MAX_RUNNERS: '1' });
    // A slot claimed 5 minutes ago by a runner that has no record (a dispatch that died, a record deleted by hand).
    await tableClient(sandbox).send(
      new UpdateCommand({
        TableName: sandbox.controlPlaneEnv.RUNNER_TABLE,
        Key: { runnerId: CAPACITY_LEDGER_KEY },
        UpdateExpression: 'SET holders = :holders, kind = :kind',
        ExpressionAttributeValues: { ':holders': { 'ecs-runner-1': Date.now() - 5 * 60_000 }, ':kind': 'capacity' },
      }),
    );
    const id = nextJobId();
    await sandbox.webhooks.send('workflow_job', workflowJobPayload('queued', repo, { id, runId: id, labels: ['self-hosted'] }));
    await sandbox.settle();
    expect((await sandbox.store.get(`ecs-runner-${id}`))?.status).toBe('queued');

    await sandbox.runHousekeeping();
    await sandbox.settle();
    expect((await sandbox.store.get(`ecs-runner-${id}`))?.status).toBe('idle');
    expect([...(await sandbox.store.capacity.holders()).keys()]).toEqual([`ecs-runner-${id}`]);
    expect(sandbox.metrics.total('LeakedSlotsFreed')).toBe(1);
  });

  it('dispatches a runner whose earlier dispatch died after claiming its slot and registering it', async () => {
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0' });
    const s = sandbox;
    // GitHub is down through every retry of the dispatch: the job stays queued, lost, with no slot.
    s.github.faults.downUntil = Date.now() + 600_000;
    const id = nextJobId();
    const runnerId = `ecs-runner-${id}`;
    await s.webhooks.send('workflow_job', workflowJobPayload('queued', repo, { id, runId: id, labels: ['self-hosted'] }));
    await s.settle();
    s.github.faults.downUntil = 0;
    // What a dispatch that died after registering leaves: its claim (3 minutes old) and the runner's registration.
    await tableClient(s).send(
      new UpdateCommand({
        TableName: s.controlPlaneEnv.RUNNER_TABLE,
        Key: { runnerId: CAPACITY_LEDGER_KEY },
        UpdateExpression: 'SET holders = :holders, kind = :kind',
        ExpressionAttributeValues: { ':holders': { [runnerId]: Date.now() - 3 * 60_000 }, ':kind': 'capacity' },
      }),
    );
    const registered = await fetch(`${s.controlPlaneEnv.GITHUB_API_URL}/repos/${repo}/actions/runners/generate-jitconfig`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SANDBOX_PAT}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: runnerId, runner_group_id: 1, labels: ['self-hosted'] }),
    });
    expect(registered.status).toBe(201);
    const staleId = s.github.findRunnerByName(runnerId)!.id;

    // Housekeeping frees the slot whose lease ran out, with the registration it stood for; the lost job is dispatched again.
    await s.runHousekeeping();
    await s.settle();
    expect(s.github.findRunnerByName(runnerId)).toBeUndefined();
    await backdate(s, runnerId, ['updatedAt'], 11);
    await s.runHousekeeping();
    await s.settle();

    expect(await s.store.get(runnerId)).toMatchObject({ status: 'idle', redispatches: 1 });
    expect(s.github.findRunnerByName(runnerId)?.id).not.toBe(staleId);
    expect(s.ecs.tasksStarted).toBe(1);
    expect([...(await s.store.capacity.holders()).keys()]).toEqual([runnerId]);
  }, 60_000 * TIME_SCALE);
});

describe('faults on the way to a task', () => {
  /** A job queued while GitHub answers 5xx for `downForMs`: its dispatch fails through every retry. */
  const queueDuringGitHubOutage = async (downForMs: number): Promise<{ s: Sandbox; runnerId: string }> => {
    const s = (sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0' }));
    s.github.faults.downUntil = Date.now() + downForMs;
    const id = nextJobId();
    await s.webhooks.send('workflow_job', workflowJobPayload('queued', repo, { id, runId: id, labels: ['self-hosted'] }));
    await s.settle();
    return { s, runnerId: `ecs-runner-${id}` };
  };

  it('keeps a job queued through 2 minutes of GitHub outage, with no slot held, and launches it once GitHub is back', async () => {
    const { s, runnerId } = await queueDuringGitHubOutage(120_000);
    // Octokit's retries, then the event's retries, all met the outage: the event is dead-lettered, the job stays queued.
    expect(s.deadLetters()).toHaveLength(1);
    expect((await s.store.get(runnerId))?.status).toBe('queued');
    expect((await s.store.capacity.holders()).size).toBe(0);
    expect(s.ecs.tasksStarted).toBe(0);

    s.github.faults.downUntil = 0;
    await backdate(s, runnerId, ['updatedAt'], 11);
    await s.runHousekeeping();
    await s.settle();
    expect(await s.store.get(runnerId)).toMatchObject({ status: 'idle', redispatches: 1 });
    expect(s.ecs.tasksStarted).toBe(1);
  }, 60_000 * TIME_SCALE);

  it('fails a job whose dispatch keeps failing after 3 re-dispatches, instead of looping', async () => {
    const { s, runnerId } = await queueDuringGitHubOutage(600_000);
    for (let round = 1; round <= 4; round++) {
      await backdate(s, runnerId, ['updatedAt'], 11);
      await s.runHousekeeping();
      await s.settle();
    }
    expect(await s.store.get(runnerId)).toMatchObject({ status: 'failed', redispatches: 3 });
    expect((await s.store.get(runnerId))?.statusReason).toMatch(/^dispatch failed 4 times/);
    expect(s.deadLetters()).toHaveLength(4);
  }, 60_000 * TIME_SCALE);

  it('records a RUNNING event that arrives before the record is starting, and the dispatch keeps it', async () => {
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0', SANDBOX_TASK_START_MS: '0' });
    // The record update after RunTask fails on all 4 attempts: the task's RUNNING event is processed first.
    sandbox.dynamoFaults.updateItemFailures = 4;
    const id = nextJobId();
    const runnerId = `ecs-runner-${id}`;
    await sandbox.webhooks.send('workflow_job', workflowJobPayload('queued', repo, { id, runId: id, labels: ['self-hosted'] }));
    await sandbox.settle();
    const record = await sandbox.store.get(runnerId);
    expect(record).toMatchObject({ status: 'idle', taskArn: [...sandbox.ecs.tasks.keys()][0] });
    expect(record?.githubRunnerId).toBe(sandbox.github.findRunnerByName(runnerId)?.id);
    expect(sandbox.ecs.tasksStarted).toBe(1);
    expect([...(await sandbox.store.capacity.holders()).keys()]).toEqual([runnerId]);
  });
});
