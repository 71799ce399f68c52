import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { recordJobCompleted, recordJobStarted } from '../src/domain/job-progress.js';
import type { WorkflowJobDetail } from '../src/domain/ports.js';
import { onTaskStateChange } from '../src/domain/task-state.js';
import { makeDeps, queuedJob, startTable } from './support/fixtures.js';

describe('job progress and task state', () => {
  let table: Awaited<ReturnType<typeof startTable>>;
  beforeAll(async () => {
    table = await startTable();
  });
  afterAll(() => table.stop());

  const update = (detail: WorkflowJobDetail, action: 'in_progress' | 'completed', job: Partial<WorkflowJobDetail['job']>): WorkflowJobDetail => ({
    action,
    deliveryId: `${action}-${detail.job.id}`,
    repo: detail.repo,
    job: { ...detail.job, ...job },
  });

  it('marks the runner GitHub gave the job busy, then completed with the conclusion', async () => {
    const deps = makeDeps(table.store, table.clock);
    const { record, detail } = await queuedJob(table.store, table.clock);
    await recordJobStarted(update(detail, 'in_progress', { runnerName: record.runnerId }), deps);
    expect(await table.store.get(record.runnerId)).toMatchObject({ status: 'busy', assignedJobId: detail.job.id });
    await recordJobCompleted(update(detail, 'completed', { runnerName: record.runnerId, conclusion: 'failure' }), deps);
    expect(await table.store.get(record.runnerId)).toMatchObject({ status: 'completed', conclusion: 'failure', finishedAt: expect.any(String), expiresAt: expect.any(Number) });
  });

  it('records the job on the runner that ran it, even when that runner was started for another job', async () => {
    const deps = makeDeps(table.store, table.clock);
    const mine = await queuedJob(table.store, table.clock);
    const other = await queuedJob(table.store, table.clock);
    await recordJobStarted(update(other.detail, 'in_progress', { runnerName: mine.record.runnerId }), deps);
    expect(await table.store.get(mine.record.runnerId)).toMatchObject({ status: 'busy', assignedJobId: other.detail.job.id });
    // The other job's own runner still waits: it will serve the job still queued at GitHub.
    expect((await table.store.get(other.record.runnerId))?.status).toBe('queued');
  });

  it('cancels a runner not launched yet when its job is cancelled before pickup', async () => {
    const deps = makeDeps(table.store, table.clock);
    const { record, detail } = await queuedJob(table.store, table.clock);
    await recordJobCompleted(update(detail, 'completed', { runnerName: null, conclusion: 'cancelled' }), deps);
    expect(await table.store.get(record.runnerId)).toMatchObject({ status: 'cancelled', conclusion: 'cancelled' });
  });

  it('keeps a started runner available when its job is cancelled before pickup', async () => {
    const deps = makeDeps(table.store, table.clock);
    const { record, detail } = await queuedJob(table.store, table.clock);
    await table.store.transition(record, 'idle');
    await recordJobCompleted(update(detail, 'completed', { runnerName: null, conclusion: 'cancelled' }), deps);
    expect((await table.store.get(record.runnerId))?.status).toBe('idle');
  });

  it('leaves a terminal record for a job that completed before it was queued here', async () => {
    const deps = makeDeps(table.store, table.clock);
    const detail: WorkflowJobDetail = {
      action: 'completed',
      deliveryId: 'd',
      repo: 'octo-org/octo-repo',
      job: { id: 999_001, runId: 1, runAttempt: 1, labels: ['self-hosted'], runnerName: 'someone-elses-runner', conclusion: 'success' },
    };
    await recordJobCompleted(detail, deps);
    expect(await table.store.get('ecs-runner-999001')).toMatchObject({ status: 'cancelled', statusReason: expect.stringContaining('before it was queued here') });
  });

  it("cancels a runner not launched yet when another fleet's runner ran its job", async () => {
    const deps = makeDeps(table.store, table.clock);
    const { record, detail } = await queuedJob(table.store, table.clock);
    await recordJobCompleted(update(detail, 'completed', { runnerName: 'other-fleet-7', conclusion: 'success' }), deps);
    expect(await table.store.get(record.runnerId)).toMatchObject({ status: 'cancelled', conclusion: 'success', statusReason: expect.stringContaining('other-fleet-7') });
  });

  it('keeps a runner not launched yet when another runner of ours ran its job (it serves that runner’s job)', async () => {
    const deps = makeDeps(table.store, table.clock);
    const mine = await queuedJob(table.store, table.clock);
    const other = await queuedJob(table.store, table.clock);
    await recordJobCompleted(update(other.detail, 'completed', { runnerName: mine.record.runnerId, conclusion: 'success' }), deps);
    expect((await table.store.get(other.record.runnerId))?.status).toBe('queued');
  });

  it('moves RUNNING to idle and a clean exit after a job to completed', async () => {
    const deps = makeDeps(table.store, table.clock);
    const { record } = await queuedJob(table.store, table.clock);
    const taskArn = `arn:aws:ecs:eu-west-1:123456789012:task/fleet/${record.runnerId}`;
    await onTaskStateChange({ taskArn, lastStatus: 'RUNNING', startedBy: record.runnerId, startedAt: '2026-11-28T10:00:05.000Z' }, deps);
    expect(await table.store.get(record.runnerId)).toMatchObject({ status: 'idle', taskArn, startedAt: '2026-11-28T10:00:05.000Z' });
    await table.store.advance(record.runnerId, 'busy', { assignedJobId: record.jobId });
    await onTaskStateChange({ taskArn, lastStatus: 'STOPPED', startedBy: record.runnerId, stopCode: 'EssentialContainerExited', containers: [{ name: 'runner', exitCode: 0 }] }, deps);
    expect((await table.store.get(record.runnerId))?.status).toBe('completed');
  });

  it('drops a RUNNING event that arrives after the runner is busy', async () => {
    const deps = makeDeps(table.store, table.clock);
    const { record } = await queuedJob(table.store, table.clock);
    await table.store.advance(record.runnerId, 'busy', { assignedJobId: record.jobId });
    await onTaskStateChange({ taskArn: 't', lastStatus: 'RUNNING', startedBy: record.runnerId }, deps);
    expect((await table.store.get(record.runnerId))?.status).toBe('busy');
  });

  it('fails a runner whose task stopped before it took a job, with the reason, and removes it from GitHub', async () => {
    const deps = makeDeps(table.store, table.clock);
    const { record } = await queuedJob(table.store, table.clock);
    const jit = await deps.github.generateJitConfig({ name: record.runnerId });
    await table.store.advance(record.runnerId, 'idle', { githubRunnerId: jit === 'exists' ? 0 : jit.githubRunnerId });
    await onTaskStateChange(
      { taskArn: 't', lastStatus: 'STOPPED', startedBy: record.runnerId, stoppedReason: 'CannotPullContainerError: image not found', containers: [{ name: 'runner', exitCode: undefined }] },
      deps,
    );
    expect(await table.store.get(record.runnerId)).toMatchObject({ status: 'failed', statusReason: 'stopped before taking a job (exit none, ECS: no stop code: CannotPullContainerError: image not found)' });
    expect(deps.github.registered.has(record.runnerId)).toBe(false);
  });

  it('never changes a terminal record and ignores tasks this fleet did not start', async () => {
    const deps = makeDeps(table.store, table.clock);
    const { record } = await queuedJob(table.store, table.clock);
    await table.store.advance(record.runnerId, 'terminated', { statusReason: 'stopped by an operator' });
    await onTaskStateChange({ taskArn: 't', lastStatus: 'STOPPED', startedBy: record.runnerId, containers: [{ name: 'runner', exitCode: 137 }] }, deps);
    expect(await table.store.get(record.runnerId)).toMatchObject({ status: 'terminated', statusReason: 'stopped by an operator' });
    await expect(onTaskStateChange({ taskArn: 't', lastStatus: 'RUNNING', startedBy: 'some-service' }, deps)).resolves.toBeUndefined();
  });
});
