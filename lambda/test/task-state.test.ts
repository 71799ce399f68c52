import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RunnerStore } from '@runner-fleet/core/store';
import type { Deps } from '../src/domain/ports.js';
import { onTaskStateChange, type TaskStateDetail } from '../src/domain/task-state.js';
import { makeDeps, queuedJob, recordingBus, startTable } from './support/fixtures.js';

describe('a stopped task', () => {
  let table: Awaited<ReturnType<typeof startTable>>;
  beforeAll(async () => {
    table = await startTable();
  });
  afterAll(() => table.stop());

  /** A runner that is registered on GitHub and whose task is RUNNING (idle). */
  async function idleRunner(deps: ReturnType<typeof makeDeps>, store: RunnerStore) {
    const { record } = await queuedJob(store, table.clock);
    const jit = await deps.github.generateJitConfig({ name: record.runnerId });
    await store.advance(record.runnerId, 'idle', { githubRunnerId: jit === 'exists' ? 0 : jit.githubRunnerId, taskArn: `arn:task/${record.runnerId}` });
    return record;
  }
  const stopped = (runnerId: string, exitCode: number | undefined, extra: Partial<TaskStateDetail> = {}): TaskStateDetail => ({
    taskArn: `arn:task/${runnerId}`,
    lastStatus: 'STOPPED',
    startedBy: runnerId,
    stopCode: 'EssentialContainerExited',
    stoppedReason: 'Essential container in task exited',
    containers: [{ name: 'runner', exitCode }],
    ...extra,
  });

  it('is failed, not completed, when the runner exited 0 before taking a job; its registration goes and its queued job gets a replacement', async () => {
    const { bus, published } = recordingBus();
    const deps = makeDeps(table.store, table.clock, { bus } as Partial<Deps>);
    const record = await idleRunner(deps, table.store);
    deps.github.jobStatuses.set(record.jobId, 'queued');

    await onTaskStateChange(stopped(record.runnerId, 0), deps);

    expect(await table.store.get(record.runnerId)).toMatchObject({
      status: 'failed',
      statusReason: 'stopped before taking a job (exit 0, ECS: EssentialContainerExited: Essential container in task exited)',
    });
    expect(deps.github.registered.has(record.runnerId)).toBe(false);
    const replacementId = `${record.runnerId}r1`;
    expect(await table.store.get(replacementId)).toMatchObject({ status: 'queued', jobId: record.jobId, labels: record.labels });
    expect(published.map((e) => e.runner?.runnerId)).toContain(replacementId);
  });

  it('deletes a JIT config its runner never took, whatever the outcome, even when the record is gone', async () => {
    const deps = makeDeps(table.store, table.clock);
    const record = await idleRunner(deps, table.store);
    await deps.jitSecrets.store(record.runnerId, 'never-read');
    await deps.jitSecrets.store('ecs-runner-999999', 'never-read-either');

    await onTaskStateChange(stopped(record.runnerId, 1), deps);
    await onTaskStateChange(stopped('ecs-runner-999999', 0), deps);

    expect(deps.jitSecrets.of(record.runnerId)).toEqual([]);
    expect(deps.jitSecrets.of('ecs-runner-999999')).toEqual([]);
  });

  it('relaunches once under a duplicate EventBridge delivery', async () => {
    const { bus, published } = recordingBus();
    const deps = makeDeps(table.store, table.clock, { bus } as Partial<Deps>);
    const record = await idleRunner(deps, table.store);
    deps.github.jobStatuses.set(record.jobId, 'queued');
    await onTaskStateChange(stopped(record.runnerId, 1), deps);
    await onTaskStateChange(stopped(record.runnerId, 1), deps);
    expect(published.filter((e) => e.job.id === record.jobId)).toHaveLength(1);
    expect(await table.store.get(`${record.runnerId}r2`)).toBeUndefined();
  });

  it('relaunches no more than three replacements for one job', async () => {
    const { bus, published } = recordingBus();
    const deps = makeDeps(table.store, table.clock, { bus } as Partial<Deps>);
    const record = await idleRunner(deps, table.store);
    deps.github.jobStatuses.set(record.jobId, 'queued');
    await onTaskStateChange(stopped(record.runnerId, 0), deps);
    for (let n = 1; n <= 3; n++) {
      const id = `${record.runnerId}r${n}`;
      await table.store.advance(id, 'idle', { taskArn: `arn:task/${id}` });
      await onTaskStateChange(stopped(id, 0), deps);
      expect((await table.store.get(id))?.status).toBe('failed');
    }
    expect(published.filter((e) => e.job.id === record.jobId)).toHaveLength(3);
  });

  it('gets no replacement when GitHub no longer reports the job queued', async () => {
    const { bus, published } = recordingBus();
    const deps = makeDeps(table.store, table.clock, { bus } as Partial<Deps>);
    const record = await idleRunner(deps, table.store);
    deps.github.jobStatuses.set(record.jobId, 'completed');
    await onTaskStateChange(stopped(record.runnerId, 0), deps);
    expect((await table.store.get(record.runnerId))?.status).toBe('failed');
    expect(published).toHaveLength(0);
  });

  it('is completed when its runner took the job and exited 0, without asking GitHub', async () => {
    const deps = makeDeps(table.store, table.clock);
    const record = await idleRunner(deps, table.store);
    await table.store.advance(record.runnerId, 'busy', { assignedJobId: record.jobId });
    await onTaskStateChange(stopped(record.runnerId, 0), deps);
    expect((await table.store.get(record.runnerId))?.status).toBe('completed');
    expect(deps.github.calls.filter((c) => c.startsWith('job'))).toEqual([]);
  });

  it('is failed when Spot capacity was reclaimed during the job, and the job is not relaunched', async () => {
    const { bus, published } = recordingBus();
    const deps = makeDeps(table.store, table.clock, { bus } as Partial<Deps>);
    const record = await idleRunner(deps, table.store);
    await table.store.advance(record.runnerId, 'busy', { assignedJobId: record.jobId });
    await onTaskStateChange(stopped(record.runnerId, 0, { stopCode: 'SpotInterruption', stoppedReason: 'Your Spot Task was interrupted.' }), deps);
    expect(await table.store.get(record.runnerId)).toMatchObject({ status: 'failed', statusReason: expect.stringContaining('Spot capacity was reclaimed during the job') });
    expect(published).toHaveLength(0);
  });

  it('keeps the status of a stop the fleet asked for, and relaunches nothing', async () => {
    const { bus, published } = recordingBus();
    const deps = makeDeps(table.store, table.clock, { bus } as Partial<Deps>);
    const record = await idleRunner(deps, table.store);
    deps.github.jobStatuses.set(record.jobId, 'queued');
    await table.store.advance(record.runnerId, 'cancelled', { statusReason: 'idle for too long' });
    await onTaskStateChange(stopped(record.runnerId, 0, { stopCode: 'UserInitiated', stoppedReason: 'idle for too long' }), deps);
    expect(await table.store.get(record.runnerId)).toMatchObject({ status: 'cancelled', statusReason: 'idle for too long' });
    expect(published).toHaveLength(0);
  });

  it('forgets an image ECS could not pull and relaunches the job, so the next launch resolves the image again', async () => {
    const { bus, published } = recordingBus();
    const deps = makeDeps(table.store, table.clock, { bus } as Partial<Deps>);
    const record = await idleRunner(deps, table.store);
    await table.store.revise(record.runnerId, () => ({ image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet-runner:ubuntu-22.04-abc123' }));
    deps.images.present.add('ubuntu-22.04-abc123');
    deps.github.jobStatuses.set(record.jobId, 'queued');
    await onTaskStateChange(
      stopped(record.runnerId, undefined, { stopCode: 'TaskFailedToStart', stoppedReason: 'CannotPullContainerError: pull image manifest has been retried 5 time(s): not found' }),
      deps,
    );
    expect(await table.store.get(record.runnerId)).toMatchObject({ status: 'failed', statusReason: expect.stringContaining('the image could not be pulled') });
    expect(deps.images.present.has('ubuntu-22.04-abc123')).toBe(false);
    expect(published.map((e) => e.runner?.runnerId)).toEqual([`${record.runnerId}r1`]);
  });

  it('is completed when the record missed in_progress but GitHub shows this runner ran the job', async () => {
    const { bus, published } = recordingBus();
    const deps = makeDeps(table.store, table.clock, { bus } as Partial<Deps>);
    const record = await idleRunner(deps, table.store);
    deps.github.jobStatuses.set(record.jobId, 'completed');
    deps.github.jobRunnerNames.set(record.jobId, record.runnerId);
    await onTaskStateChange(stopped(record.runnerId, 0), deps);
    expect(await table.store.get(record.runnerId)).toMatchObject({ status: 'completed', statusReason: `task exited 0 after job ${record.jobId}` });
    expect(published).toHaveLength(0);
  });

  it('is failed without a replacement when GitHub shows the job went to another runner', async () => {
    const { bus, published } = recordingBus();
    const deps = makeDeps(table.store, table.clock, { bus } as Partial<Deps>);
    const record = await idleRunner(deps, table.store);
    deps.github.jobStatuses.set(record.jobId, 'in_progress');
    deps.github.jobRunnerNames.set(record.jobId, 'someone-else-7');
    await onTaskStateChange(stopped(record.runnerId, 0), deps);
    expect(await table.store.get(record.runnerId)).toMatchObject({ status: 'failed', statusReason: expect.stringContaining('stopped before taking a job') });
    expect(deps.github.registered.has(record.runnerId)).toBe(false);
    expect(published).toHaveLength(0);
  });
  it('is completed with the job it took when ingress recorded its start but the stream has not delivered it yet, without asking GitHub', async () => {
    const deps = makeDeps(table.store, table.clock);
    const record = await idleRunner(deps, table.store);
    // Its own job went to another runner; GitHub gave it another job, whose in_progress is still in the stream.
    deps.github.jobStatuses.set(record.jobId, 'in_progress');
    deps.github.jobRunnerNames.set(record.jobId, 'someone-else-7');
    const otherJob = record.jobId + 1_000;
    expect(await table.store.markJobStarted(record.runnerId, { action: 'in_progress', deliveryId: 'd-1', repo: record.repo, job: { id: otherJob, runnerName: record.runnerId } })).toBe(true);
    expect(await table.store.markJobStarted(record.runnerId, { action: 'in_progress', deliveryId: 'd-2', repo: record.repo, job: { id: otherJob, runnerName: record.runnerId } })).toBe(false);
    const jobLookups = deps.github.calls.filter((c) => c.startsWith('job ')).length;
    await onTaskStateChange(stopped(record.runnerId, 0), deps);
    expect(await table.store.get(record.runnerId)).toMatchObject({ status: 'completed', assignedJobId: otherJob, statusReason: `task exited 0 after job ${otherJob}` });
    expect(deps.github.calls.filter((c) => c.startsWith('job ')).length).toBe(jobLookups);
  });
});

describe("a task's billing facts", () => {
  let table: Awaited<ReturnType<typeof startTable>>;
  beforeAll(async () => {
    table = await startTable();
  });
  afterAll(() => table.stop());

  it('records billing from the image pull to the stop, the capacity provider that ran it, and enlarged ephemeral storage', async () => {
    const deps = makeDeps(table.store, table.clock);
    const { record } = await queuedJob(table.store, table.clock);
    const task = { taskArn: `arn:task/${record.runnerId}`, startedBy: record.runnerId, capacityProviderName: 'FARGATE_SPOT', ephemeralStorage: { sizeInGiB: 50 } };

    await onTaskStateChange({ ...task, lastStatus: 'RUNNING', pullStartedAt: '2026-03-01T10:00:05.000Z', startedAt: '2026-03-01T10:00:30.000Z' }, deps);
    expect(await table.store.get(record.runnerId)).toMatchObject({
      status: 'idle',
      billingStartedAt: '2026-03-01T10:00:05.000Z',
      capacityProvider: 'FARGATE_SPOT',
      ephemeralStorageGiB: 50,
      architecture: 'X86_64',
    });
    expect(deps.metrics.totals.has('QueueTimeSeconds')).toBe(true);

    deps.github.jobStatuses.set(record.jobId, 'completed');
    await onTaskStateChange({ ...task, lastStatus: 'STOPPED', stopCode: 'EssentialContainerExited', stoppedAt: '2026-03-01T10:04:00.000Z', containers: [{ name: 'runner', exitCode: 0 }] }, deps);
    expect(await table.store.get(record.runnerId)).toMatchObject({
      billingStartedAt: '2026-03-01T10:00:05.000Z',
      billingEndedAt: '2026-03-01T10:04:00.000Z',
    });
  });

  it('starts billing at startedAt when ECS reports no image pull, and takes the architecture ECS reports', async () => {
    const deps = makeDeps(table.store, table.clock);
    const { record } = await queuedJob(table.store, table.clock);
    await onTaskStateChange(
      {
        taskArn: `arn:task/${record.runnerId}`,
        startedBy: record.runnerId,
        lastStatus: 'RUNNING',
        startedAt: '2026-03-01T11:00:00.000Z',
        attributes: [{ name: 'ecs.cpu-architecture', value: 'arm64' }],
      },
      deps,
    );
    const stored = await table.store.get(record.runnerId);
    expect(stored).toMatchObject({ billingStartedAt: '2026-03-01T11:00:00.000Z', architecture: 'ARM64' });
    expect(stored?.ephemeralStorageGiB).toBeUndefined();
    expect(stored?.billingEndedAt).toBeUndefined();
  });

  it("closes the billing of a runner that GitHub's completed ended before its task stopped, once, changing nothing else", async () => {
    const deps = makeDeps(table.store, table.clock);
    const { record } = await queuedJob(table.store, table.clock);
    const task = { taskArn: `arn:task/${record.runnerId}`, startedBy: record.runnerId };
    await onTaskStateChange({ ...task, lastStatus: 'RUNNING', pullStartedAt: '2026-03-01T12:00:00.000Z' }, deps);
    await table.store.advance(record.runnerId, 'completed', { assignedJobId: record.jobId, conclusion: 'success' });
    const ended = await table.store.get(record.runnerId);

    const stop = { ...task, lastStatus: 'STOPPED', stopCode: 'EssentialContainerExited', containers: [{ name: 'runner', exitCode: 0 }] };
    await onTaskStateChange({ ...stop, stoppedAt: '2026-03-01T12:05:00.000Z' }, deps);
    await onTaskStateChange({ ...stop, stoppedAt: '2026-03-01T12:09:00.000Z' }, deps);
    const after = await table.store.get(record.runnerId);
    expect(after).toMatchObject({ status: 'completed', conclusion: 'success', version: ended!.version, updatedAt: ended!.updatedAt, billingStartedAt: '2026-03-01T12:00:00.000Z', billingEndedAt: '2026-03-01T12:05:00.000Z' });
  });
});
