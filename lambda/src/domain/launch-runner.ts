import { createHash } from 'node:crypto';
import { isTerminal, isWaitingForLaunch, StaleRecordError, type RecordRef } from '@runner-fleet/core';
import { CapacityError, GitHubRateLimitedError, LaunchRefusedError, RetryableError, ThrottledError, type Deps, type LaunchSpec, type QueuedRunner, type WorkflowJobDetail } from './ports.js';
import { LAUNCH_BACKOFF_BASE_MS, retryLaunchLater, waitForSlot } from './capacity.js';
import { resolveImage } from './resolve-image.js';
import { discardJitConfig } from './jit-config-cleanup.js';
import { retryThrottledLaunch, waitForGitHubBudget, waitOutRateLimit } from './rate-limit-wait.js';

/**
 * A JIT runner registered by a dispatch whose slot claim is younger than
 * this may belong to a dispatch that is still running (Lambda's timeout is
 * well below it); older ones are leftovers of an attempt that died before
 * RunTask. Counted from the claim (the capacity ledger's claim time), never
 * from the record's last write: refills and other writes do not extend it.
 */
export const DISPATCH_LEASE_MS = 120_000;

/** Another dispatch of the same runner holds the slot and may still be launching: retry later, keeping the claim. */
class LeaseHeldError extends RetryableError {}

/**
 * queued → starting: claim a runner slot, register a JIT runner, start its
 * task, record the task. Happy path: the slot's conditional write, one GitHub
 * call, RunTask, one conditional update. Every retry
 * path finds what an earlier attempt did instead of doing it twice: the
 * RunTask clientToken is fixed per attempt (see runTaskToken), and GitHub
 * refuses a second runner with the same name.
 */
export async function launchRunner(detail: WorkflowJobDetail, runner: QueuedRunner, deps: Deps): Promise<void> {
  const { config, store } = deps;
  const resolved = await resolveImage(runner, deps);
  if (resolved.kind !== 'ready') return;
  const ref: RecordRef = resolved.ref ?? { runnerId: runner.runnerId, status: runner.status ?? 'queued', version: runner.version };

  // GitHub refuses requests now (the shared budget says so): no slot, no call spent on a certain refusal.
  // A slot a fill claimed for this runner goes back, so the runner waits without holding one.
  if (await waitForGitHubBudget(runner.runnerId, deps)) {
    await store.capacity.release(runner.runnerId);
    return;
  }
  // The slot comes first: over the cap nothing is registered or started, and the runner waits its turn.
  if (!(await store.capacity.claim(runner.runnerId, config.maxRunners))) return waitForSlot(runner.runnerId, deps);
  let outcome: LaunchOutcome;
  try {
    outcome = await launchWithSlot(detail, runner, { ...resolved, ref }, deps);
  } catch (error) {
    // GitHub failed before RunTask, or ECS answered and started nothing: no task holds the slot. After an
    // ambiguous RunTask failure (a timeout) a task may exist: the slot stays until the retry finds out.
    // While another dispatch holds the lease the claim is its too: kept, so its lease keeps counting from the claim.
    if (!(error instanceof AmbiguousLaunchError) && !(error instanceof LeaseHeldError)) await store.capacity.release(runner.runnerId);
    // A rate limit longer than the client waits out: the job waits queued for the budget, never failed for it.
    if (error instanceof GitHubRateLimitedError) return waitOutRateLimit(runner.runnerId, error.retryAt, error.kind, deps);
    throw error instanceof AmbiguousLaunchError ? error.original : error;
  }
  if (outcome.kind === 'no-task') {
    await store.capacity.release(runner.runnerId);
    // Throttling is the account's rate, not this job's failure: tried again in seconds, no attempt counted.
    if (outcome.reason === 'throttled') return retryThrottledLaunch(runner.runnerId, outcome.message, deps);
    // No capacity is the fleet's condition, not this job's: hold the backlog back for one backoff step.
    if (outcome.reason === 'capacity') await store.capacity.pauseLaunches(deps.now().getTime() + LAUNCH_BACKOFF_BASE_MS);
    deps.metrics.count('LaunchFailures', 1, { reason: outcome.reason });
    const next = await retryLaunchLater(runner.runnerId, outcome.message, deps);
    deps.log.warn('no task started; the launch is retried later', { reason: outcome.message, next });
  } else if (outcome.kind === 'ended') {
    await store.capacity.release(runner.runnerId);
  }
}

type LaunchOutcome =
  | { kind: 'started' }
  /** The runner ended meanwhile (cancelled, failed): nothing runs for it. */
  | { kind: 'ended' }
  /** ECS answered and started nothing; worth another try later. */
  | { kind: 'no-task'; reason: 'capacity' | 'throttled' | 'no-task'; message: string };

/** RunTask failed in a way that leaves open whether a task exists. */
class AmbiguousLaunchError extends Error {
  constructor(readonly original: unknown) {
    super('RunTask failed without saying whether a task started');
  }
}

async function launchWithSlot(
  detail: WorkflowJobDetail,
  runner: QueuedRunner,
  resolved: { taskDefinition: string; image: string; ref: RecordRef },
  deps: Deps,
): Promise<LaunchOutcome> {
  const { config, log } = deps;
  const { taskDefinition, image, ref } = resolved;
  let jit = await deps.github.generateJitConfig({
    name: runner.runnerId,
    labels: detail.job.labels,
    runnerGroupId: config.runnerGroupId,
    installationId: detail.installationId,
  });
  if (jit === 'exists') {
    const resumed = await resumeEarlierAttempt(detail, runner, deps);
    if ('kind' in resumed) return resumed;
    jit = resumed;
  }

  const stored = await storeJitConfig(runner.runnerId, jit, detail, deps);
  if (typeof stored !== 'string') return stored;
  const spec: LaunchSpec = {
    runnerId: runner.runnerId,
    taskDefinition,
    containerName: config.runnerContainerName,
    cpu: runner.cpu,
    memory: runner.memory,
    spot: runner.spot,
    clientToken: runTaskToken(runner.runnerId, jit.encodedJitConfig, runner.spot),
    jitConfigParameter: stored,
    tags: { runnerId: runner.runnerId, repo: detail.repo, jobId: String(detail.job.id), runId: String(detail.job.runId) },
  };
  let started: { taskArn: string; note: string };
  try {
    started = await startTask(spec, jit.encodedJitConfig, deps);
  } catch (error) {
    if (error instanceof LaunchRefusedError) {
      await deps.github.deleteRunner(jit.githubRunnerId, detail.installationId);
      await discardJitConfig(runner.runnerId, deps);
      deps.metrics.count('LaunchFailures', 1, { reason: 'refused' });
      await failLaunch(runner.runnerId, `ECS refused to start the task: ${error.message}`, deps);
      return { kind: 'ended' };
    }
    const throttled = error instanceof ThrottledError || (error as { name?: string }).name === 'ThrottlingException';
    if (!(error instanceof RetryableError) && !throttled) throw new AmbiguousLaunchError(error);
    // ECS answered and started nothing: unregister, so the next attempt starts clean.
    await deps.github.deleteRunner(jit.githubRunnerId, detail.installationId).catch((deleteError: unknown) =>
      // The next attempt copes with a leftover registration (after the dispatch lease); the launch error matters more.
      log.warn('could not unregister the runner after a failed launch', { deleteError }),
    );
    await discardJitConfig(runner.runnerId, deps);
    const reason = throttled ? 'throttled' : error instanceof CapacityError ? 'capacity' : 'no-task';
    const message = throttled ? `ECS throttled RunTask: ${(error as Error).message}` : (error as Error).message;
    return { kind: 'no-task', reason, message };
  }
  const { taskArn, note } = started;
  log.info('runner task started', { taskArn, githubRunnerId: jit.githubRunnerId });

  try {
    const record = await deps.store.transition(ref, 'starting', { taskArn, githubRunnerId: jit.githubRunnerId, image, statusReason: note });
    deps.metrics.count('RunnersLaunched');
    deps.metrics.seconds('QueuedToStartingSeconds', (Date.parse(record.updatedAt) - Date.parse(record.createdAt)) / 1000);
    return { kind: 'started' };
  } catch (error) {
    if (!(error instanceof StaleRecordError)) throw new AmbiguousLaunchError(error);
    return settleAfterLaunch(runner.runnerId, taskArn, jit.githubRunnerId, detail.installationId, deps);
  }
}

/** ECS's limit on a RunTask clientToken (API reference: up to 64 characters, 33-126). */
export const MAX_CLIENT_TOKEN_LENGTH = 64;

/**
 * RunTask's idempotency token for one launch attempt. ECS refuses a token
 * reused with other parameters (ConflictException), and a new attempt carries a
 * new JIT config: so the token is derived from everything that differs between
 * attempts. A retry of the same attempt (same JIT config) sends the same token
 * and gets the task it started. Hex digest: well inside 64 characters of 33-126.
 */
export function runTaskToken(runnerId: string, jitConfig: string, spot: boolean): string {
  const digest = createHash('sha256').update(`${runnerId}\n${spot ? 'FARGATE_SPOT' : 'FARGATE'}\n${jitConfig}`).digest('hex');
  return `rt-${digest.slice(0, MAX_CLIENT_TOKEN_LENGTH - 3)}`;
}

/** RunTask; a spot class that meets no Fargate Spot capacity starts on on-demand Fargate, under its own idempotency token. */
async function startTask(spec: LaunchSpec, jitConfig: string, deps: Deps): Promise<{ taskArn: string; note: string }> {
  try {
    return { taskArn: await deps.tasks.run(spec), note: 'task started, waiting for RUNNING' };
  } catch (error) {
    if (!(error instanceof CapacityError) || !spec.spot) throw error;
    deps.log.warn('no Fargate Spot capacity; starting on on-demand Fargate', { reason: error.message });
    const taskArn = await deps.tasks.run({ ...spec, spot: false, clientToken: runTaskToken(spec.runnerId, jitConfig, false) });
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
    return settleAfterLaunch(runner.runnerId, liveTask, registered?.id, detail.installationId, deps);
  }
  const record = await deps.store.get(runner.runnerId);
  if (!record || !isWaitingForLaunch(record.status)) {
    deps.log.info('runner no longer waits for a launch; nothing to do', { status: record?.status });
    return { kind: !record || isTerminal(record.status) ? ('ended' as const) : ('started' as const) };
  }
  const claimedAt = await deps.store.capacity.claimedAt(runner.runnerId);
  if (claimedAt === undefined) throw new RetryableError(`runner ${runner.runnerId} lost its slot while resuming an earlier dispatch; retrying later`);
  const age = deps.now().getTime() - claimedAt;
  if (age < DISPATCH_LEASE_MS) {
    throw new LeaseHeldError(`runner ${runner.runnerId} was registered by a dispatch that claimed its slot ${Math.round(age / 1000)} s ago; retrying later`);
  }
  // The earlier dispatch is dead: take its claim over (one racing dispatch, or housekeeping's release, wins).
  if (!(await deps.store.capacity.takeOver(runner.runnerId, claimedAt))) {
    throw new LeaseHeldError(`runner ${runner.runnerId}: another dispatch took over the stale registration; retrying later`);
  }
  const stale = await deps.github.findRunner(runner.runnerId, detail.installationId);
  if (stale) await deps.github.deleteRunner(stale.id, detail.installationId);
  // The earlier attempt may have stored its config before it died; the new one gets a new name.
  await discardJitConfig(runner.runnerId, deps);
  deps.log.warn('replaced a stale runner registration from an attempt that never started a task', { githubRunnerId: stale?.id });
  const jit = await deps.github.generateJitConfig({
    name: runner.runnerId,
    labels: detail.job.labels,
    runnerGroupId: deps.config.runnerGroupId,
    installationId: detail.installationId,
  });
  if (jit === 'exists') throw new LeaseHeldError(`runner ${runner.runnerId} was registered again concurrently; retrying later`);
  return jit;
}

/**
 * The record was not at queued/v1 any more when the task was recorded.
 * Attach the task to a live record; stop it if the record already ended
 * (e.g. the job was cancelled while the task was being started).
 */
async function settleAfterLaunch(
  runnerId: string,
  taskArn: string,
  githubRunnerId: number | undefined,
  installationId: number | undefined,
  deps: Deps,
): Promise<{ kind: 'started' } | { kind: 'ended' }> {
  for (let attempt = 1; attempt <= 5; attempt++) {
    const current = await deps.store.get(runnerId);
    if (!current || isTerminal(current.status)) {
      // GitHub first: the runner may already have taken another queued job, which a stop would kill.
      const removed = githubRunnerId ? await deps.github.deleteRunner(githubRunnerId, installationId) : 'not-found';
      if (removed === 'busy') {
        deps.log.warn('runner ended before its task was recorded, but it is running a job; left running', { taskArn, status: current?.status });
        return { kind: 'ended' };
      }
      deps.log.warn('runner ended before its task was recorded; stopping the task', { taskArn, status: current?.status });
      await deps.tasks.stop(taskArn, `runner ${runnerId} is already ${current?.status ?? 'gone'}`);
      return { kind: 'ended' };
    }
    const alreadyRecorded = current.taskArn === taskArn && (githubRunnerId === undefined || current.githubRunnerId === githubRunnerId);
    if (alreadyRecorded) return { kind: 'started' };
    try {
      const update = { taskArn, ...(githubRunnerId ? { githubRunnerId } : {}) };
      if (isWaitingForLaunch(current.status)) {
        await deps.store.transition(current, 'starting', { ...update, statusReason: 'task started, waiting for RUNNING' });
      } else {
        await deps.store.patch(current, update);
      }
      return { kind: 'started' };
    } catch (error) {
      if (!(error instanceof StaleRecordError)) throw error;
    }
  }
  throw new RetryableError(`runner ${runnerId} kept changing while its task was recorded`);
}

/**
 * The JIT config goes into SSM, never into RunTask. Throttled (SSM's PutParameter quota is a few
 * calls per second): no task, retried later like a throttled RunTask. Either way a failure
 * unregisters the runner, so the next attempt starts clean.
 */
async function storeJitConfig(runnerId: string, jit: { githubRunnerId: number; encodedJitConfig: string }, detail: WorkflowJobDetail, deps: Deps): Promise<string | LaunchOutcome> {
  try {
    return await deps.jitSecrets.store(runnerId, jit.encodedJitConfig);
  } catch (error) {
    await deps.github.deleteRunner(jit.githubRunnerId, detail.installationId).catch((deleteError: unknown) =>
      deps.log.warn('could not unregister the runner after its JIT config could not be stored', { deleteError }),
    );
    if (error instanceof ThrottledError) return { kind: 'no-task', reason: 'throttled', message: error.message };
    throw error;
  }
}

/** Leftover JIT configs of a runner whose launch ended without a task; a failure is logged, the launch's outcome matters more. */

async function failLaunch(runnerId: string, reason: string, deps: Deps): Promise<void> {
  const result = await deps.store.advance(runnerId, 'failed', { statusReason: reason });
  deps.log.warn('runner launch failed', { reason, recorded: result.changed });
}
