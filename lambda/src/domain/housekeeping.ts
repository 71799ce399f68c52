import { isActive, isOurRunnerName, isTerminal, isWaitingForLaunch, StaleRecordError, type RunnerRecord, type RunnerStatus } from '@runner-fleet/core';
import { fillFreeSlots } from './capacity.js';
import { replaceStrandedJobs, STRANDED_LOOKBACK_MS } from './stranded-jobs.js';
import { dispatchEventFor } from './dispatch-event.js';
import { DISPATCH_LEASE_MS } from './launch-runner.js';
import { settleImageBuilds } from './image-build-sweep.js';
import type { Deps } from './ports.js';
import { housekeepingAllowance } from './github-budget.js';
import { onTaskStateChange } from './task-state.js';

/** A dispatch still pending after this long was lost (Lambda's own retries end within minutes): dispatch again. */
export const QUEUED_REDISPATCH_MS = 10 * 60 * 1000;
/** Fargate pulls and starts a task well within this; longer means it is stuck. */
export const STARTING_TIMEOUT_MS = 10 * 60 * 1000;
/** A lost dispatch is sent again at most this many times; then the runner fails (a poison job never loops). */
export const MAX_REDISPATCHES = 3;
/** Bounded work per run: a huge backlog is worked through over several runs, never by one long one. */
const MAX_RECORDS_PER_SWEEP = 1000;

export interface HousekeepingReport {
  /** The time budget ran out before every sweep ran; the next run continues. */
  truncated: boolean;
  sweepsFailed: number;
  imageBuildsSettled: number;
  imageBuildsTimedOut: number;
  redispatched: number;
  reaped: number;
  stuckStarting: number;
  reconciled: number;
  orphanTasksStopped: number;
  ghostRunnersRemoved: number;
  busyTimedOut: number;
  failedAfterRedispatches: number;
  leakedSlotsFreed: number;
  slotsFilled: number;
  replacementsLaunched: number;
  /** GitHub sweeps skipped or cut because the budget was below GITHUB_API_RESERVE. */
  githubSweepsDeferred: number;
  activeRunners: number;
}

/**
 * The schedule (every minute): the sweeps below, each bounded, within a time
 * budget (a huge backlog is worked through over several runs, never by one
 * that times out). Runners waiting in image_building are woken or failed when
 * their build ended without an event reaching us, and a build that never
 * reports is failed after IMAGE_BUILD_TIMEOUT_MS.
 */
export async function housekeeping(deps: Deps, options: { budgetMs?: number } = {}): Promise<HousekeepingReport> {
  const report: HousekeepingReport = {
    truncated: false,
    sweepsFailed: 0,
    imageBuildsSettled: 0,
    imageBuildsTimedOut: 0,
    redispatched: 0,
    reaped: 0,
    stuckStarting: 0,
    reconciled: 0,
    orphanTasksStopped: 0,
    ghostRunnersRemoved: 0,
    busyTimedOut: 0,
    failedAfterRedispatches: 0,
    leakedSlotsFreed: 0,
    slotsFilled: 0,
    replacementsLaunched: 0,
    githubSweepsDeferred: 0,
    activeRunners: 0,
  };
  const allowance = await githubAllowance(deps);
  report.githubSweepsDeferred = Number(!allowance.sweepGhosts) + Number(allowance.maxJobLookups !== undefined);
  const deadline = Date.now() + (options.budgetMs ?? 20_000);
  const sweeps: Array<(live: Live) => Promise<unknown>> = [
    (live) => redispatchLostQueued(deps, live.queued, report),
    async (live) => (live.described = await reconcileLiveRunners(deps, live.withTasks, report, deadline)),
    (live) => stopOrphanTasks(deps, live.ids, live.described, report),
    async (live) => {
      if (allowance.sweepGhosts) await removeGhostRunners(deps, live.ids, report);
    },
    async () => {
      if (!deps.config.imageBuildProject) return;
      const { settled, timedOut } = await settleImageBuilds(deps);
      report.imageBuildsSettled += settled;
      report.imageBuildsTimedOut += timedOut;
    },
    async (live) => (report.replacementsLaunched = await replaceStrandedJobs(deps, [...live.withTasks, ...(await recentlyEnded(deps))], allowance.maxJobLookups)),
    (live) => freeLeakedSlots(deps, live.withTasks, report),
    async () => (report.slotsFilled = await fillFreeSlots(deps)),
  ];
  // One read of the live records serves every sweep.
  const queued = await records(deps, 'queued');
  const withTasks = [...(await records(deps, 'starting')), ...(await records(deps, 'idle')), ...(await records(deps, 'busy'))];
  const live: Live = { queued, withTasks, ids: new Set([...queued, ...withTasks].map((r) => r.runnerId)), described: new Set() };
  for (const sweep of sweeps) {
    if (Date.now() > deadline) {
      report.truncated = true;
      break;
    }
    try {
      await sweep(live);
    } catch (error) {
      // One failing dependency (GitHub down, a throttled API) must not stop the other sweeps.
      deps.log.error('a housekeeping sweep failed; the next run tries again', { error });
      report.sweepsFailed++;
    }
  }
  report.activeRunners = (await deps.store.capacity.holders()).size;
  recordMetrics(deps, report, queued, withTasks);
  const { activeRunners, ...actions } = report;
  if (Object.values(actions).some((n) => n)) deps.log.info('housekeeping', { ...report, activeRunners });
  return report;
}

/**
 * What the GitHub budget leaves housekeeping: below GITHUB_API_RESERVE the
 * ghost sweep waits and job lookups are capped, so JIT registrations of
 * waiting jobs get the rest. An unreadable budget does not stop the sweeps.
 */
async function githubAllowance(deps: Deps): Promise<ReturnType<typeof housekeepingAllowance>> {
  try {
    const allowance = housekeepingAllowance(await deps.githubBudget.current(), deps.config.githubApiReserve, deps.now().getTime());
    if (!allowance.sweepGhosts) {
      deps.log.info('GitHub budget below GITHUB_API_RESERVE: the ghost sweep waits and job lookups are capped, so JIT registrations come first', {
        reserve: deps.config.githubApiReserve,
        maxJobLookups: allowance.maxJobLookups,
      });
    }
    return allowance;
  } catch (error) {
    deps.log.warn('the GitHub budget could not be read; housekeeping sweeps as usual', { error });
    return { sweepGhosts: true };
  }
}

interface Live {
  queued: RunnerRecord[];
  withTasks: RunnerRecord[];
  ids: Set<string>;
  /** Task ARNs DescribeTasks answered for during reconciliation. */
  described: Set<string>;
}

function recordMetrics(deps: Deps, report: HousekeepingReport, queued: RunnerRecord[], withTasks: RunnerRecord[]): void {
  const { metrics, config } = deps;
  metrics.count('RunnersReaped', report.reaped);
  metrics.count('RunnersReconciled', report.reconciled);
  metrics.count('StuckStartingFailed', report.stuckStarting);
  metrics.count('JobsOverMaxDuration', report.busyTimedOut);
  metrics.count('OrphanTasksStopped', report.orphanTasksStopped);
  metrics.count('GhostRunnersRemoved', report.ghostRunnersRemoved);
  metrics.count('DispatchesRetried', report.redispatched);
  metrics.count('LeakedSlotsFreed', report.leakedSlotsFreed);
  metrics.count('GitHubSweepsDeferred', report.githubSweepsDeferred);
  metrics.gauge('ActiveRunners', report.activeRunners);
  metrics.gauge('RunnerCap', config.maxRunners);
  metrics.gauge('RunnersWaiting', queued.filter((r) => r.retryAt !== undefined).length);
  metrics.gauge('RunnersQueued', queued.length);
  for (const [status, name] of [['starting', 'RunnersStarting'], ['idle', 'RunnersIdle'], ['busy', 'RunnersBusy']] as const) {
    metrics.gauge(name, withTasks.filter((r) => r.status === status).length);
  }
  const oldest = queued.reduce((min, r) => (r.createdAt < min ? r.createdAt : min), deps.now().toISOString());
  metrics.seconds('OldestQueuedSeconds', (deps.now().getTime() - Date.parse(oldest)) / 1000);
}

/** Runners that ended lately (one page per status): the ones that may have left their own job stranded. */
async function recentlyEnded(deps: Deps): Promise<RunnerRecord[]> {
  const since = new Date(deps.now().getTime() - STRANDED_LOOKBACK_MS).toISOString();
  const pages = await Promise.all((['completed', 'failed'] as const).map((status) => deps.store.listByStatus(status, { since, limit: 500 })));
  return pages.flatMap((page) => page.records);
}

async function records(deps: Deps, status: RunnerStatus): Promise<RunnerRecord[]> {
  const found: RunnerRecord[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await deps.store.listByStatus(status, { startKey, limit: 500 });
    found.push(...page.records);
    startKey = page.nextKey;
  } while (startKey && found.length < MAX_RECORDS_PER_SWEEP);
  return found;
}

/**
 * queued records whose dispatch event was lost (or ended in the dead-letter
 * queue): dispatch them again, at most MAX_REDISPATCHES times; then fail them,
 * so a job that can never launch does not loop. Runners waiting for a slot or
 * for capacity (retryAt) are not lost: fillFreeSlots dispatches them.
 */
async function redispatchLostQueued(deps: Deps, queued: RunnerRecord[], report: HousekeepingReport): Promise<void> {
  const now = deps.now().getTime();
  const lost = queued.filter((r) => r.retryAt === undefined && now - Date.parse(r.updatedAt) > QUEUED_REDISPATCH_MS);
  const events = [];
  for (const record of lost) {
    const count = (record.redispatches ?? 0) + 1;
    try {
      if (count > MAX_REDISPATCHES) {
        const reason = `dispatch failed ${MAX_REDISPATCHES + 1} times over ${Math.round(((MAX_REDISPATCHES + 1) * QUEUED_REDISPATCH_MS) / 60000)} minutes; see the control plane's logs and dead-letter queue`;
        // A dispatch that died between storing the JIT config and RunTask left it behind; no task will take it.
        // Deleted first: a failed delete leaves the record queued, so the next run tries again.
        await deps.jitSecrets.discard(record.runnerId);
        await deps.store.transition(record, 'failed', { statusReason: reason });
        deps.metrics.count('LaunchFailures', 1, { reason: 'dispatch' });
        report.failedAfterRedispatches++;
        continue;
      }
      const taken = await deps.store.patch(record, { redispatches: count, statusReason: `dispatch lost; dispatched again (${count} of ${MAX_REDISPATCHES})` });
      events.push(dispatchEventFor(taken, `housekeeping:${taken.runnerId}:${count}`));
    } catch (error) {
      if (!(error instanceof StaleRecordError)) throw error; // it moved on meanwhile: not lost
    }
  }
  if (events.length === 0) return;
  await deps.bus.publishAll(events);
  report.redispatched += events.length;
}

/**
 * Slots whose runner is not active: its record ended by a path that could not
 * release (an operator's terminate racing a claim), or it never left the
 * queue within the dispatch lease (the dispatch died after claiming). The
 * release is conditional on the claim read, so a dispatch that took the claim
 * over meanwhile keeps it. A waiting runner's registration, if its dead
 * dispatch left one, goes with the slot: otherwise the next dispatch, under a
 * fresh claim, would find it and wait out a new lease, again and again.
 */
async function freeLeakedSlots(deps: Deps, withTasks: RunnerRecord[], report: HousekeepingReport): Promise<void> {
  const now = deps.now().getTime();
  const active = new Set(withTasks.map((r) => r.runnerId));
  for (const [runnerId, claimedAt] of await deps.store.capacity.holders()) {
    if (now - claimedAt < DISPATCH_LEASE_MS || active.has(runnerId)) continue;
    const record = await deps.store.get(runnerId);
    if (record && isActive(record.status)) continue;
    if (!(await deps.store.capacity.release(runnerId, claimedAt))) continue;
    deps.log.warn('freed a runner slot whose runner is not active', { runnerId, status: record?.status ?? 'no record' });
    report.leakedSlotsFreed++;
    if (record && isWaitingForLaunch(record.status)) await removeLeftoverRegistration(runnerId, deps);
  }
}

async function removeLeftoverRegistration(runnerId: string, deps: Deps): Promise<void> {
  const leftover = await deps.github.findRunner(runnerId);
  if (!leftover) return;
  const outcome = await deps.github.deleteRunner(leftover.id);
  deps.log.warn('removed the registration a dead dispatch left behind', { runnerId, githubRunnerId: leftover.id, outcome });
}

/**
 * starting, idle and busy runners against ECS: a task that stopped (or that
 * ECS no longer knows) is recorded as its STOPPED event would have been; a
 * task stuck before RUNNING is stopped and failed; a busy runner past
 * MAX_JOB_SECONDS is failed and stopped; an idle runner past
 * IDLE_TIMEOUT_SECONDS is removed from GitHub first (left alone if a job just
 * landed on it), then its task is stopped and it is cancelled.
 */
/**
 * A task ECS does not know (MISSING) is only gone once its record is older
 * than this: DescribeTasks is eventually consistent and may not see a task
 * started seconds ago.
 */
export const MISSING_TASK_GRACE_MS = 3 * 60_000;

async function reconcileLiveRunners(deps: Deps, withTasks: RunnerRecord[], report: HousekeepingReport, deadline: number): Promise<Set<string>> {
  const { store, tasks, github, config, log } = deps;
  const now = deps.now().getTime();
  const live = withTasks.filter((r) => r.taskArn);
  const described = new Set<string>();
  for (let i = 0; i < live.length; i += 100) {
    if (Date.now() > deadline) {
      report.truncated = true;
      break;
    }
    const batch = live.slice(i, i + 100);
    const known = await tasks.describe(batch.map((r) => r.taskArn!));
    for (const arn of known.keys()) described.add(arn);
    for (const runner of batch) {
      const task = known.get(runner.taskArn!);
      // DescribeTasks is eventually consistent: a task started moments ago may be reported MISSING.
      if (!task && now - Date.parse(runner.updatedAt) < MISSING_TASK_GRACE_MS) continue;
      if (!task || task.lastStatus === 'STOPPED') {
        await onTaskStateChange(task ?? { taskArn: runner.taskArn!, lastStatus: 'STOPPED', startedBy: runner.runnerId, stoppedReason: 'the task is gone (ECS no longer knows it)' }, deps);
        log.info('recorded a task stop whose event never arrived', { runnerId: runner.runnerId, taskArn: runner.taskArn, ecs: task?.lastStatus ?? 'unknown to ECS' });
        report.reconciled++;
        continue;
      }
      if (runner.status === 'starting' && now - Date.parse(runner.updatedAt) > STARTING_TIMEOUT_MS) {
        const reason = `task did not reach RUNNING within ${STARTING_TIMEOUT_MS / 60000} minutes`;
        const result = await store.advance(runner.runnerId, 'failed', { statusReason: reason });
        if (result.changed) {
          await tasks.stop(runner.taskArn!, reason);
          if (runner.githubRunnerId) await github.deleteRunner(runner.githubRunnerId);
          log.warn('stopped a runner stuck before RUNNING', { runnerId: runner.runnerId, reason });
          report.stuckStarting++;
        }
        continue;
      }
      if (runner.status === 'busy' && now - Date.parse(runner.startedAt ?? runner.updatedAt) > config.maxJobSeconds * 1000) {
        const reason = `job ${runner.assignedJobId ?? runner.jobId} ran longer than MAX_JOB_SECONDS (${config.maxJobSeconds} s); task stopped`;
        const result = await store.advance(runner.runnerId, 'failed', { statusReason: reason });
        if (result.changed) {
          log.warn('stopped a runner past the maximum job duration', { runnerId: runner.runnerId });
          await tasks.stop(runner.taskArn!, reason);
          report.busyTimedOut++;
        }
        continue;
      }
      if (runner.status === 'idle' && now - Date.parse(runner.startedAt ?? runner.updatedAt) > config.idleTimeoutSeconds * 1000) {
        const outcome = runner.githubRunnerId ? await github.deleteRunner(runner.githubRunnerId) : 'not-found';
        if (outcome === 'busy') {
          log.info('idle runner just took a job; left running', { runnerId: runner.runnerId });
          continue;
        }
        const reason = `idle for more than ${config.idleTimeoutSeconds} s with no job; removed from GitHub and stopped`;
        const result = await store.advance(runner.runnerId, 'cancelled', { statusReason: reason });
        if (result.changed || (result.record && isTerminal(result.record.status))) await tasks.stop(runner.taskArn!, reason);
        if (result.changed) {
          log.info('reaped an idle runner', { runnerId: runner.runnerId, reason });
          report.reaped++;
        }
      }
    }
  }
  return described;
}

/**
 * A runner is live when its record has not ended. The sweep's own reading of
 * the live records answers most questions; only a name missing from it is read
 * again, since its runner may have been launched after that reading.
 */
async function isLive(deps: Deps, live: ReadonlySet<string>, runnerId: string): Promise<boolean> {
  if (live.has(runnerId)) return true;
  const record = await deps.store.get(runnerId);
  return record !== undefined && !isTerminal(record.status);
}

/** Tasks this fleet started (startedBy has our prefix) whose runner has no live record: stop them. */
async function stopOrphanTasks(deps: Deps, live: ReadonlySet<string>, described: ReadonlySet<string>, report: HousekeepingReport): Promise<void> {
  const { tasks, config, log } = deps;
  // Tasks of live records were described just now; only the others can be orphans.
  const unknown = (await tasks.listRunning(MAX_RECORDS_PER_SWEEP)).filter((arn) => !described.has(arn));
  for (let i = 0; i < unknown.length; i += 100) {
    for (const task of (await tasks.describe(unknown.slice(i, i + 100))).values()) {
      if (!isOurRunnerName(config.runnerNamePrefix, task.startedBy) || (await isLive(deps, live, task.startedBy))) continue;
      // A runner whose record ended while its task was starting may have taken a job since: never kill a running job.
      if ((await deps.github.findRunner(task.startedBy))?.busy) {
        log.info('task without a live record is running a job; left running', { taskArn: task.taskArn, startedBy: task.startedBy });
        continue;
      }
      log.warn('stopping a task of this fleet that has no live runner record', { taskArn: task.taskArn, startedBy: task.startedBy });
      await tasks.stop(task.taskArn, `orphan: runner ${task.startedBy} has no live record`);
      report.orphanTasksStopped++;
    }
  }
}

/** Offline GitHub runners with our name prefix and no live record (ghosts): remove them. */
async function removeGhostRunners(deps: Deps, live: ReadonlySet<string>, report: HousekeepingReport): Promise<void> {
  const { github, config } = deps;
  for (const runner of await github.listRunners(`${config.runnerNamePrefix}-`)) {
    if (runner.status !== 'offline' || runner.busy || !isOurRunnerName(config.runnerNamePrefix, runner.name)) continue;
    if (await isLive(deps, live, runner.name)) continue;
    if ((await github.deleteRunner(runner.id)) === 'deleted') {
      deps.log.info('removed an offline runner with no live record (ghost)', { name: runner.name, githubRunnerId: runner.id });
      report.ghostRunnersRemoved++;
    }
  }
}
