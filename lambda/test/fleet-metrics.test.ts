import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { housekeeping } from '../src/domain/housekeeping.js';
import type { WorkflowJobDetail } from '../src/domain/ports.js';
import { dispatch } from '../src/routes/dispatch.js';
import { makeDeps, queuedJob, startTable } from './support/fixtures.js';

/** The metrics the dashboard and alarms read (modules/control-plane/monitoring.tf). */
describe('metrics for the dashboard and alarms', () => {
  let table: Awaited<ReturnType<typeof startTable>>;
  beforeAll(async () => {
    table = await startTable();
  });
  afterAll(() => table.stop());

  const jobEvent = (action: WorkflowJobDetail['action'], deliveryId: string, conclusion: string | null = null): WorkflowJobDetail => ({
    action,
    deliveryId,
    repo: 'octo-org/octo-repo',
    job: { id: 424242, runId: 1, runAttempt: 1, labels: ['self-hosted'], runnerName: 'someone-elses-runner', conclusion },
  });

  it("counts GitHub's started, completed and failed jobs, not the fleet's own re-dispatches", async () => {
    const deps = makeDeps(table.store, table.clock);
    await dispatch(jobEvent('in_progress', '5f4e3d2c-0000-4000-8000-000000000001'), deps);
    await dispatch(jobEvent('completed', '5f4e3d2c-0000-4000-8000-000000000002', 'failure'), deps);
    await dispatch(jobEvent('completed', '5f4e3d2c-0000-4000-8000-000000000003', 'success'), deps);
    await dispatch(jobEvent('completed', 'replacement:ecs-runner-424242r1', 'failure'), deps);
    expect(deps.metrics.totals.get('JobsStarted')).toBe(1);
    expect(deps.metrics.totals.get('JobsCompleted')).toBe(2);
    expect(deps.metrics.totals.get('JobsFailed')).toBe(1);
  });

  it("counts a job GitHub queued once, not the fleet's re-dispatch of it when a slot frees", async () => {
    const deps = makeDeps(table.store, table.clock);
    const { detail } = await queuedJob(table.store, table.clock);
    await dispatch({ ...detail, deliveryId: '5f4e3d2c-0000-4000-8000-000000000004' }, deps);
    await dispatch({ ...detail, deliveryId: `slot:${detail.runner!.runnerId}:2` }, deps);
    expect(deps.metrics.totals.get('JobsQueued')).toBe(1);
  });

  it('writes runners by status and the age of the oldest queued runner every housekeeping run', async () => {
    const deps = makeDeps(table.store, table.clock);
    const { record } = await queuedJob(table.store, table.clock);
    table.clock.now = new Date(table.clock.now.getTime() + 90_000);
    await housekeeping(deps);
    expect(deps.metrics.totals.get('RunnersQueued')).toBeGreaterThanOrEqual(1);
    expect(deps.metrics.totals.has('RunnersBusy')).toBe(true);
    expect(deps.metrics.totals.get('OldestQueuedSeconds')).toBeGreaterThanOrEqual((table.clock.now.getTime() - Date.parse(record.createdAt)) / 1000);
  });
});
