import { isTerminal, StaleRecordError, type RecordRef } from '@runner-fleet/core';
import { CapacityError, LaunchRefusedError, RetryableError, type Deps, type LaunchSpec, type QueuedRunner, type WorkflowJobDetail } from './ports.js';
import { resolveImage } from './resolve-image.js';

/**
 * A JIT runner registered less than this long ago may belong to a dispatch
 * that is still running (Lambda's timeout is well below it); older ones are
 * leftovers of an attempt that died before RunTask.
 */
export const DISPATCH_LEASE_MS = 120_000;

/**
 * queued → starting: register a JIT runner, start its task, record the task.
 * Happy path: one GitHub call, RunTask, one conditional update. Every retry
 * path finds what an earlier attempt did instead of doing it twice: the
 * RunTask clientToken is the runner id, and GitHub refuses a second runner
 * with the same name.
 */
export async function launchRunner(detail: WorkflowJobDetail, runner: QueuedRunner, deps: Deps): Promise<void> {
  const { config, log } = deps;
  const resolved = await resolveImage(runner, deps);
  if (resolved.kind !== 'ready') return;
  const { taskDefinition, image } = resolved;
  const ref: RecordRef = resolved.ref ?? { runnerId: runner.runnerId, status: runner.status ?? 'queued', version: runner.version };

  let jit = await deps.github.generateJitConfig({
    name: runner.runnerId,
    labels: detail.job.labels,
    runnerGroupId: config.runnerGroupId,
    installationId: detail.installationId,
  });
  if (jit === 'exists') {
    const resumed = await resumeEarlierAttempt(detail, runner, deps);
    if (resumed === 'done') return;
    jit = resumed;
  }

  const spec: LaunchSpec = {
    runnerId: runner.runnerId,
    taskDefinition,
    containerName: config.runnerContainerName,
    cpu: runner.cpu,
    memory: runner.memory,
    spot: runner.spot,
    clientToken: runner.runnerId,
    jitConfig: jit.encodedJitConfig,
    tags: { runnerId: runner.runnerId, repo: detail.repo, jobId: String(detail.job.id), runId: String(detail.job.runId) },
  };
  let started: { taskArn: string; note: string };
  try {
    started = await startTask(spec, deps);
  } catch (error) {
    if (error instanceof LaunchRefusedError) {
      await deps.github.deleteRunner(jit.githubRunnerId, detail.installationId);
      await failLaunch(runner.runnerId, `ECS refused to start the task: ${error.message}`, deps);
      return;
    }
    // ECS answered and started nothing (no capacity, throttled): unregister, so the retry starts clean.
    // An ambiguous failure (timeout) keeps the registration: a task may exist, and the retry will find it.
    if (error instanceof RetryableError || (error as { name?: string }).name === 'ThrottlingException') {
      await deps.github.deleteRunner(jit.githubRunnerId, detail.installationId).catch((deleteError: unknown) =>
        // The retry copes with a leftover registration (after the dispatch lease); the launch error matters more.
        log.warn('could not unregister the runner after a failed launch', { deleteError }),
      );
    }
    throw error;
  }
  const { taskArn, note } = started;
  log.info('runner task started', { taskArn, githubRunnerId: jit.githubRunnerId });

  try {
    await deps.store.transition(ref, 'starting', { taskArn, githubRunnerId: jit.githubRunnerId, image, statusReason: note });
  } catch (error) {
    if (!(error instanceof StaleRecordError)) throw error;
    await settleAfterLaunch(runner.runnerId, taskArn, jit.githubRunnerId, detail.installationId, deps);
  }
}

/** RunTask; a spot class that meets no Fargate Spot capacity starts on on-demand Fargate, under its own idempotency token. */
async function startTask(spec: LaunchSpec, deps: Deps): Promise<{ taskArn: string; note: string }> {
  try {
    return { taskArn: await deps.tasks.run(spec), note: 'task started, waiting for RUNNING' };
  } catch (error) {
    if (!(error instanceof CapacityError) || !spec.spot) throw error;
    deps.log.warn('no Fargate Spot capacity; starting on on-demand Fargate', { reason: error.message });
    const taskArn = await deps.tasks.run({ ...spec, spot: false, clientToken: `${spec.runnerId}-od` });
    return { taskArn, note: 'task started on on-demand Fargate (no Fargate Spot capacity), waiting for RUNNING' };
  }
}

/**
 * GitHub already has a runner with this name: an earlier attempt got as far
 * as registering it. Adopt its task if it started one; otherwise, once the
 * earlier attempt cannot still be running, replace the stale registration.
 */
async function resumeEarlierAttempt(detail: WorkflowJobDetail, runner: QueuedRunner, deps: Deps) {
  const liveTask = await deps.tasks.findLive(runner.runnerId);
  if (liveTask) {
    deps.log.info('adopting the task an earlier dispatch started', { taskArn: liveTask });
    const registered = await deps.github.findRunner(runner.runnerId, detail.installationId);
    await settleAfterLaunch(runner.runnerId, liveTask, registered?.id, detail.installationId, deps);
    return 'done' as const;
  }
  const record = await deps.store.get(runner.runnerId);
  if (!record || (record.status !== 'queued' && record.status !== 'image_building')) {
    deps.log.info('runner no longer waits for a launch; nothing to do', { status: record?.status });
    return 'done' as const;
  }
  const age = deps.now().getTime() - Date.parse(record.updatedAt);
  if (age < DISPATCH_LEASE_MS) {
    throw new RetryableError(`runner ${runner.runnerId} was registered ${Math.round(age / 1000)} s ago by another dispatch; retrying later`);
  }
  const stale = await deps.github.findRunner(runner.runnerId, detail.installationId);
  if (stale) await deps.github.deleteRunner(stale.id, detail.installationId);
  deps.log.warn('replaced a stale runner registration from an attempt that never started a task', { githubRunnerId: stale?.id });
  const jit = await deps.github.generateJitConfig({
    name: runner.runnerId,
    labels: detail.job.labels,
    runnerGroupId: deps.config.runnerGroupId,
    installationId: detail.installationId,
  });
  if (jit === 'exists') throw new RetryableError(`runner ${runner.runnerId} was registered again concurrently; retrying later`);
  return jit;
}

/**
 * The record was not at queued/v1 any more when the task was recorded.
 * Attach the task to a live record; stop it if the record already ended
 * (e.g. the job was cancelled while the task was being started).
 */
async function settleAfterLaunch(runnerId: string, taskArn: string, githubRunnerId: number | undefined, installationId: number | undefined, deps: Deps): Promise<void> {
  for (let attempt = 1; attempt <= 5; attempt++) {
    const current = await deps.store.get(runnerId);
    if (!current || isTerminal(current.status)) {
      deps.log.warn('runner ended before its task was recorded; stopping the task', { taskArn, status: current?.status });
      await deps.tasks.stop(taskArn, `runner ${runnerId} is already ${current?.status ?? 'gone'}`);
      if (githubRunnerId) await deps.github.deleteRunner(githubRunnerId, installationId);
      return;
    }
    const alreadyRecorded = current.taskArn === taskArn && (githubRunnerId === undefined || current.githubRunnerId === githubRunnerId);
    if (alreadyRecorded) return;
    try {
      const update = { taskArn, ...(githubRunnerId ? { githubRunnerId } : {}) };
      if (current.status === 'queued' || current.status === 'image_building') {
        await deps.store.transition(current, 'starting', { ...update, statusReason: 'task started, waiting for RUNNING' });
      } else {
        await deps.store.patch(current, update);
      }
      return;
    } catch (error) {
      if (!(error instanceof StaleRecordError)) throw error;
    }
  }
  throw new RetryableError(`runner ${runnerId} kept changing while its task was recorded`);
}

async function failLaunch(runnerId: string, reason: string, deps: Deps): Promise<void> {
  const result = await deps.store.advance(runnerId, 'failed', { statusReason: reason });
  deps.log.warn('runner launch failed', { reason, recorded: result.changed });
}
