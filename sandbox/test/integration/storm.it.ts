import { describe, expect, it } from '@jest/globals';
import { runStorm } from '../../src/index.js';

/**
 * The storm of issue 6, reduced to 100 jobs and MAX_RUNNERS=10 so it runs in
 * `npm test` (the full 1,000-job storm is `npm run bench:storm`). The faults
 * are the same: redeliveries, out-of-order deliveries, cancellations,
 * throttled RunTask calls and one capacity outage, which the launches wait
 * out with their real 30 s backoff.
 */
describe('a storm of 100 jobs against MAX_RUNNERS=10', () => {
  it('runs every job exactly once, never over the cap, and leaves nothing behind', async () => {
    const result = await runStorm({
      jobs: 100,
      withinMs: 2_000,
      maxRunners: 10,
      redeliveredShare: 0.2,
      outOfOrderShare: 0.1,
      cancelledShare: 0.05,
      throttleEvery: 10,
      outage: { atMs: 1_000, forMs: 5_000 },
      taskStartMs: 100,
      pickupMs: 50,
      jobMs: 300,
      housekeepingMs: 2_000,
      idleTimeoutSeconds: 30,
      timeoutMs: 150_000,
    });
    expect(result.problems).toEqual([]);
    expect(result.drained).toBe(true);
    expect(result.jobsLost).toBe(0);
    expect(result.jobsSucceeded + result.jobsCancelled).toBe(100);
    expect(result.jobsCancelled).toBe(5);
    expect(result.duplicateTasks).toBe(0);
    expect(result.maxActiveRunners).toBeLessThanOrEqual(10);
    expect(result.maxActiveRunners).toBeGreaterThan(1);
    expect(result.nonTerminalRecords).toBe(0);
    expect(result.orphanTasks).toBe(0);
    expect(result.ghostRunners).toBe(0);
    expect({ failed: result.runnersFailed, reasons: result.failureReasons }).toEqual({ failed: 0, reasons: [] });
    // The faults really happened: throttled calls, launches that met the outage, redeliveries.
    expect(result.runTaskThrottled).toBeGreaterThan(0);
    expect(result.launchesWithoutCapacity).toBeGreaterThan(0);
    expect(result.webhooksSent).toBeGreaterThan(100 * 3);
    // Under ECS's RunTask quota (the simulator's default: a bucket of 20 refilling at 20 a second) and GitHub's
    // 5,000-request budget, which 100 jobs do not exhaust: no second ever held more accepted RunTask calls than the bucket allows.
    expect(result.maxRunTasksPerSecond).toBeLessThanOrEqual(20 + 20);
    expect(result.githubRateLimited).toEqual({ primary: 0, secondary: 0 });
  }, 180_000);
});
