import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { launchRunner } from '../src/domain/launch-runner.js';
import { recordJobCompleted } from '../src/domain/job-progress.js';
import { housekeeping } from '../src/domain/housekeeping.js';
import type { QueuedRunner, WorkflowJobDetail } from '../src/domain/ports.js';
import { makeDeps, queuedJob, startTable } from './support/fixtures.js';

describe('a stored JIT config whose launch never started a task', () => {
  let table: Awaited<ReturnType<typeof startTable>>;
  beforeAll(async () => {
    table = await startTable();
  });
  afterAll(() => table.stop());

  it('is deleted when the job is cancelled before a runner took it (RunTask timed out, no STOPPED event will come)', async () => {
    const deps = makeDeps(table.store, table.clock);
    const { record, detail } = await queuedJob(table.store, table.clock);
    deps.tasks.nextRunError = Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    await expect(launchRunner(detail, record as QueuedRunner, deps)).rejects.toThrow();
    expect(deps.jitSecrets.of(record.runnerId)).not.toEqual([]);

    const cancelled: WorkflowJobDetail = { ...detail, action: 'completed', deliveryId: '00000000-0000-4000-8000-000000000001', job: { ...detail.job, runnerName: null, conclusion: 'cancelled' } };
    await recordJobCompleted(cancelled, deps);
    expect((await table.store.get(record.runnerId))?.status).toBe('cancelled');
    for (let hour = 0; hour < 3; hour++) {
      table.clock.now = new Date(table.clock.now.getTime() + 3_600_000);
      await housekeeping(deps);
    }
    expect(deps.jitSecrets.of(record.runnerId)).toEqual([]);
  });
});
