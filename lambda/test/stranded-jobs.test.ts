import { describe, expect, it } from '@jest/globals';
import type { RunnerRecord } from '@runner-fleet/core';
import { MAX_REPLACEMENTS, replaceStrandedJobs, STRANDED_AFTER_MS } from '../src/domain/stranded-jobs.js';
import { makeDeps, queuedJob, recordingBus, tablePerTest } from './support/fixtures.js';

describe('replaceStrandedJobs (a runner made for one job ran another)', () => {
  const table = tablePerTest();

  const withBus = () => {
    const { bus, published } = recordingBus();
    return Object.assign(makeDeps(table.store, table.clock, { bus }), { published });
  };
  /** The job's own runner took `otherJobId`; the clock moves past the grace period. */
  const strand = async (otherJobId: number): Promise<RunnerRecord> => {
    const { record } = await queuedJob(table.store, table.clock);
    const busy = await table.store.transition(record, 'busy', { assignedJobId: otherJobId });
    table.clock.now = new Date(table.clock.now.getTime() + STRANDED_AFTER_MS + 1000);
    return busy;
  };

  it('launches one replacement with the job’s labels and class when GitHub still holds the job queued', async () => {
    const deps = withBus();
    const runner = await strand(1);
    deps.github.jobStatuses.set(runner.jobId, 'queued');

    expect(await replaceStrandedJobs(deps, [runner])).toBe(1);
    const replacement = await table.store.get(`${runner.runnerId}r1`);
    expect(replacement).toMatchObject({ status: 'queued', jobId: runner.jobId, labels: runner.labels, runnerClass: 'small', cpu: 512 });
    expect(deps.published.map((d) => d.runner?.runnerId)).toEqual([`${runner.runnerId}r1`]);

    // While it is on its way, no second one, and GitHub is not asked again.
    expect(await replaceStrandedJobs(deps, [runner])).toBe(0);
    expect(deps.github.calls.filter((c) => c.startsWith('jobStatus'))).toHaveLength(1);
  });

  it('asks GitHub nothing about a job that reached another of our runners', async () => {
    const deps = withBus();
    const runner = await strand(1);
    await table.store.markJobServed(runner.jobId, 'ecs-runner-9');
    expect(await replaceStrandedJobs(deps, [runner])).toBe(0);
    expect(deps.github.calls).toEqual([]);
  });

  it('waits out the grace period: GitHub may still give the job to a spare runner', async () => {
    const deps = withBus();
    const { record } = await queuedJob(table.store, table.clock);
    const runner = await table.store.transition(record, 'busy', { assignedJobId: 1 });
    expect(await replaceStrandedJobs(deps, [runner])).toBe(0);
    expect(deps.github.calls).toEqual([]);
  });

  it('remembers a job GitHub reports as started elsewhere, so it asks once', async () => {
    const deps = withBus();
    const runner = await strand(1);
    deps.github.jobStatuses.set(runner.jobId, 'in_progress');
    expect(await replaceStrandedJobs(deps, [runner])).toBe(0);
    expect(await replaceStrandedJobs(deps, [runner])).toBe(0);
    expect(deps.github.calls).toEqual([`jobStatus ${runner.jobId}`]);
    expect(await table.store.servedJobs([runner.jobId, 424242])).toEqual(new Set([runner.jobId]));
  });

  it(`launches the next replacement when one took another job too, up to ${MAX_REPLACEMENTS}`, async () => {
    const deps = withBus();
    const runner = await strand(1);
    deps.github.jobStatuses.set(runner.jobId, 'queued');
    for (let n = 1; n <= MAX_REPLACEMENTS; n++) {
      expect(await replaceStrandedJobs(deps, [runner])).toBe(1);
      const replacement = (await table.store.get(`${runner.runnerId}r${n}`))!;
      await table.store.transition(replacement, 'busy', { assignedJobId: 100 + n }); // it, too, took another job
    }
    expect(await replaceStrandedJobs(deps, [runner])).toBe(0);
    expect(await table.store.get(`${runner.runnerId}r${MAX_REPLACEMENTS + 1}`)).toBeUndefined();
  });
});
