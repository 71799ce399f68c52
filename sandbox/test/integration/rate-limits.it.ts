import { afterEach, describe, expect, it } from '@jest/globals';
import type { RunnerRecord } from '@runner-fleet/core';
import type { Sandbox } from '../../src/index.js';
import { recordHistories, startTestSandbox, TIME_SCALE } from './harness.js';

/** The runner records (not the table's other items: the budget, the ledger, markers). */
const runnerRecords = async (sandbox: Sandbox): Promise<RunnerRecord[]> => (await sandbox.allRecords()).filter((r) => !r.runnerId.includes('#') && typeof r.status === 'string');

const waitUntil = async (what: string, done: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

/** Tasks per runner id (startedBy): every job one task. */
const tasksPerRunner = (sandbox: Sandbox): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const task of sandbox.ecs.tasks.values()) counts.set(task.startedBy ?? '', (counts.get(task.startedBy ?? '') ?? 0) + 1);
  return counts;
};

/**
 * For a token bucket of `burst` refilling `rate` a second, any n accepted
 * calls between t_i and t_j satisfy n ≤ burst + rate·(t_j − t_i): the worst
 * excess over that bound in the simulator's own record of accepted calls.
 */
const overBucket = (times: readonly number[], rate: number, burst: number): number => {
  let worst = -Infinity;
  for (let i = 0; i < times.length; i++) {
    for (let j = i; j < times.length; j++) worst = Math.max(worst, j - i + 1 - (burst + (rate * (times[j]! - times[i]!)) / 1000));
  }
  return worst;
};

describe('rate limits', () => {
  let sandbox: (Sandbox & { problems: string[] }) | undefined;
  afterEach(async () => {
    await sandbox?.stop();
    sandbox = undefined;
  });

  it("waits out GitHub's primary budget: jobs stay queued with the limit as their reason, nothing fails, and all run once the window resets", async () => {
    // 30 requests a window; the window is longer than the client waits out itself (20 s), so the fleet's own wait is what runs.
    const windowMs = 25_000;
    sandbox = await startTestSandbox({ SANDBOX_GITHUB_RATE_LIMIT: '30', SANDBOX_GITHUB_RATE_WINDOW_MS: String(windowMs), GITHUB_API_RESERVE: '10' });
    const histories = recordHistories(sandbox);
    const jobs = 45;
    for (let i = 0; i < jobs; i++) await sandbox.autopilot.queueJob(['self-hosted'], { name: `budget ${i}` });
    await sandbox.settle();

    // The budget ran out: GitHub refused with 403 and remaining 0; what it refused waits.
    expect(sandbox.github.rateLimited.primary).toBeGreaterThan(0);
    const refusal = sandbox.github.refusals.find((r) => r.kind === 'primary')!;
    expect([refusal.status, refusal.headers['x-ratelimit-remaining']]).toEqual([403, '0']);
    expect(sandbox.github.accepted).toHaveLength(30);
    const first = await runnerRecords(sandbox);
    const waiting = first.filter((r) => r.status === 'queued');
    expect(waiting.length).toBeGreaterThan(0);
    expect(first.filter((r) => r.status === 'completed').length + waiting.length).toBe(jobs);
    for (const r of waiting) {
      expect(r.statusReason).toMatch(/^waiting for GitHub's primary API rate limit to pass \(until .+\); dispatched when the budget returns$/);
      expect(Date.parse(r.retryAt!)).toBeGreaterThan(Date.now());
    }
    expect(first.filter((r) => r.status === 'failed')).toEqual([]);
    expect(sandbox.metrics.total('GitHubRateLimited', 'primary')).toBeGreaterThan(0);
    expect(sandbox.metrics.total('LaunchFailures')).toBe(0);

    // Below GITHUB_API_RESERVE housekeeping skips the ghost sweep (no runner list), and counts it.
    sandbox.resetCounters();
    await sandbox.runHousekeeping();
    expect(sandbox.github.calls['GET /repos/{owner}/{repo}/actions/runners']).toBeUndefined();
    expect(sandbox.metrics.total('GitHubSweepsDeferred')).toBeGreaterThan(0);

    // The window resets (GitHub's x-ratelimit-reset; the fleet waits one second past it): the next run dispatches them all.
    const resetAt = Number(refusal.headers['x-ratelimit-reset']) * 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(resetAt + 1_500 - Date.now(), 0)));
    sandbox.resetCounters();
    await sandbox.runHousekeeping();
    // With the budget back the ghost sweep runs again.
    expect(sandbox.github.calls['GET /repos/{owner}/{repo}/actions/runners']).toBe(1);
    expect(sandbox.metrics.total('GitHubSweepsDeferred')).toBe(0);
    await sandbox.settle();
    await waitUntil('every job done', () => [...sandbox!.github.jobs.values()].every((j) => j.status === 'completed'), 20_000 * TIME_SCALE);
    await sandbox.settle();

    const last = await runnerRecords(sandbox);
    expect(last.map((r) => r.status).filter((s) => s !== 'completed')).toEqual([]);
    expect([...sandbox.github.jobs.values()].filter((j) => j.conclusion !== 'success')).toEqual([]);
    const tasks = tasksPerRunner(sandbox);
    expect(tasks.size).toBe(jobs);
    expect([...tasks.values()].every((n) => n === 1)).toBe(true);
    // The waiting ones went queued → (queued) → … → completed, never failed.
    for (const r of waiting) expect(histories.get(r.runnerId)).not.toContain('failed');
    expect(sandbox.deadLetters()).toEqual([]);
    expect(sandbox.problems).toEqual([]);
  }, 90_000 * TIME_SCALE);

  it('launches a burst of 200 queued jobs at the RunTask rate with no job failed for throttling', async () => {
    // A RunTask quota of 10 a second (AWS's is 20; halved so the burst outruns the SDK's adaptive retries on a small machine), Fargate's launch bucket as AWS has it.
    const jobs = 200;
    // A label of its own per job, so each job's runner takes that job (GitHub hands a runner any queued job its labels fit).
    const label = (i: number) => `burst-${i}`;
    sandbox = await startTestSandbox({
      MAX_RUNNERS: String(jobs),
      SANDBOX_HOUSEKEEPING_MS: '1000',
      SANDBOX_RUNTASK_RATE: '10',
      SANDBOX_RUNTASK_BURST: '10',
      RUNNER_EXTRA_LABELS: Array.from({ length: jobs }, (_, i) => label(i)).join(','),
    });
    const { runTaskRate, runTaskBurst, launchRate, launchBurst } = sandbox.ecs.rates;
    expect([runTaskRate, runTaskBurst, launchRate, launchBurst]).toEqual([10, 10, 20, 100]);
    const started = Date.now();
    await Promise.all(Array.from({ length: jobs }, (_, i) => sandbox!.autopilot.queueJob(['self-hosted', label(i)], { name: `burst ${i}` })));
    await waitUntil('every job done', () => [...sandbox!.github.jobs.values()].every((j) => j.status === 'completed'), 60_000 * TIME_SCALE);
    const launchedMs = Date.now() - started;
    await sandbox.settle();

    const records = await runnerRecords(sandbox);
    expect(records).toHaveLength(jobs);
    expect(records.filter((r) => r.status !== 'completed').map((r) => `${r.runnerId} ${r.status}: ${r.statusReason}`)).toEqual([]);
    expect([...sandbox.github.jobs.values()].filter((j) => j.conclusion !== 'success')).toEqual([]);
    expect(sandbox.metrics.total('LaunchFailures')).toBe(0);
    // ECS refused calls over its quota; the SDK's adaptive retries (5 attempts, paced) took them again: none failed.
    expect(sandbox.ecs.runTaskRateLimited).toBeGreaterThan(0);
    // Never more than the buckets allow, from the simulator's own record of what it accepted.
    expect(overBucket(sandbox.ecs.acceptedRunTasks, runTaskRate, runTaskBurst)).toBeLessThanOrEqual(1);
    expect(overBucket(sandbox.ecs.acceptedLaunches, launchRate, launchBurst)).toBeLessThanOrEqual(1);
    // Every job exactly one task.
    const tasks = tasksPerRunner(sandbox);
    expect(tasks.size).toBe(jobs);
    expect([...tasks.values()].filter((n) => n !== 1)).toEqual([]);
    expect(sandbox.ecs.tasksStarted).toBe(jobs);
    // 190 launches past the burst at 10 a second take ~19 s at the least.
    expect(launchedMs).toBeGreaterThan(((jobs - runTaskBurst) / runTaskRate) * 1000 - 1000);
    // A launch throttled past all of the SDK's attempts waits queued a few seconds (RunTaskThrottled) and then runs.
    const throttledBefore = sandbox.metrics.total('RunTaskThrottled');
    sandbox.ecs.faults.runTaskThrottles = 5;
    const late = await sandbox.autopilot.queueJob(['self-hosted', label(0)], { name: 'late' });
    await waitUntil('the throttled launch marked', () => sandbox!.metrics.total('RunTaskThrottled') > throttledBefore, 20_000 * TIME_SCALE);
    const marked = (await runnerRecords(sandbox)).find((r) => r.jobId === late.id)!;
    expect(marked.status).toBe('queued');
    expect(marked.statusReason).toMatch(/Rate exceeded.*; tried again in [2-5] s \(throttling counts no launch attempt\)$/);
    await waitUntil('the throttled job done', () => sandbox!.github.jobs.get(late.id)!.status === 'completed', 20_000 * TIME_SCALE);
    await sandbox.settle();
    expect((await sandbox.store.get(marked.runnerId))?.status).toBe('completed');
    expect(sandbox.metrics.total('RunTaskThrottled') - throttledBefore).toBe(1);
    expect(sandbox.metrics.total('LaunchFailures')).toBe(0);
    expect(sandbox.deadLetters()).toEqual([]);
    expect(sandbox.problems).toEqual([]);
  }, 90_000 * TIME_SCALE);
});
