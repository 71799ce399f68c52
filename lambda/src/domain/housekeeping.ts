import { isOurRunnerName, isTerminal, type RunnerRecord, type RunnerStatus } from '@runner-fleet/core';
import { dispatchEventFor } from './dispatch-event.js';
import { settleImageBuild } from './image-builds.js';
import type { Deps } from './ports.js';
import { onTaskStateChange } from './task-state.js';

/** Longer than the image project's build timeout (30 minutes by default), so CodeBuild reports first. */
export const IMAGE_BUILD_TIMEOUT_MS = 45 * 60 * 1000;
/** A dispatch still pending after this long was lost (Lambda's own retries end within minutes): dispatch again. */
export const QUEUED_REDISPATCH_MS = 10 * 60 * 1000;
/** Fargate pulls and starts a task well within this; longer means it is stuck. */
export const STARTING_TIMEOUT_MS = 10 * 60 * 1000;
/** Bounded work per run: a huge backlog is worked through over several runs, never by one long one. */
const MAX_WAITING_PER_RUN = 2000;
const MAX_RECORDS_PER_SWEEP = 1000;

export interface HousekeepingReport {
  imageBuildsSettled: number;
  imageBuildsTimedOut: number;
  redispatched: number;
  reaped: number;
  stuckStarting: number;
  reconciled: number;
  orphanTasksStopped: number;
  ghostRunnersRemoved: number;
}

/**
 * The schedule (every minute). Runners waiting in image_building are woken or
 * failed when their build ended without an event reaching us, and a build that
 * never reports is failed after IMAGE_BUILD_TIMEOUT_MS.
 */
export async function housekeeping(deps: Deps): Promise<HousekeepingReport> {
  const report: HousekeepingReport = { imageBuildsSettled: 0, imageBuildsTimedOut: 0, redispatched: 0, reaped: 0, stuckStarting: 0, reconciled: 0, orphanTasksStopped: 0, ghostRunnersRemoved: 0 };
  // One read of the live records serves every sweep below.
  const queued = await records(deps, 'queued');
  const withTasks = [...(await records(deps, 'starting')), ...(await records(deps, 'idle')), ...(await records(deps, 'busy'))];
  const live = new Set([...queued, ...withTasks].map((r) => r.runnerId));
  await redispatchLostQueued(deps, queued, report);
  const described = await reconcileLiveRunners(deps, withTasks, report);
  await stopOrphanTasks(deps, live, described, report);
  await removeGhostRunners(deps, live, report);
  if (deps.config.imageBuildProject) await settleImageBuilds(deps, report);
  if (Object.values(report).some((n) => n > 0)) deps.log.info('housekeeping', { ...report });
  return report;
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

/** queued records whose dispatch event was lost: dispatch them again (dispatch is idempotent). */
async function redispatchLostQueued(deps: Deps, queued: RunnerRecord[], report: HousekeepingReport): Promise<void> {
  const now = deps.now().getTime();
  const lost = queued.filter((r) => now - Date.parse(r.updatedAt) > QUEUED_REDISPATCH_MS);
  if (lost.length === 0) return;
  await deps.bus.publishAll(lost.map((r) => dispatchEventFor(r, `housekeeping:${r.runnerId}`)));
  report.redispatched += lost.length;
}

/**
 * starting, idle and busy runners against ECS: a task that stopped (or that
 * ECS no longer knows) is recorded as its STOPPED event would have been; a
 * task stuck before RUNNING is stopped and failed; an idle runner past
 * IDLE_TIMEOUT_SECONDS is removed from GitHub first (left alone if a job just
 * landed on it), then its task is stopped and it is cancelled.
 */
async function reconcileLiveRunners(deps: Deps, withTasks: RunnerRecord[], report: HousekeepingReport): Promise<Set<string>> {
  const { store, tasks, github, config, log } = deps;
  const now = deps.now().getTime();
  const live = withTasks.filter((r) => r.taskArn);
  const described = new Set<string>();
  for (let i = 0; i < live.length; i += 100) {
    const batch = live.slice(i, i + 100);
    const known = await tasks.describe(batch.map((r) => r.taskArn!));
    for (const arn of known.keys()) described.add(arn);
    for (const runner of batch) {
      const task = known.get(runner.taskArn!);
      if (!task || task.lastStatus === 'STOPPED') {
        await onTaskStateChange(task ?? { taskArn: runner.taskArn!, lastStatus: 'STOPPED', startedBy: runner.runnerId, stoppedReason: 'the task is gone (ECS no longer knows it)' }, deps);
        report.reconciled++;
        continue;
      }
      if (runner.status === 'starting' && now - Date.parse(runner.updatedAt) > STARTING_TIMEOUT_MS) {
        const reason = `task did not reach RUNNING within ${STARTING_TIMEOUT_MS / 60000} minutes`;
        const result = await store.advance(runner.runnerId, 'failed', { statusReason: reason });
        if (result.changed) {
          await tasks.stop(runner.taskArn!, reason);
          if (runner.githubRunnerId) await github.deleteRunner(runner.githubRunnerId);
          report.stuckStarting++;
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
        if (result.changed) report.reaped++;
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
    if ((await github.deleteRunner(runner.id)) === 'deleted') report.ghostRunnersRemoved++;
  }
}

async function settleImageBuilds(deps: Deps, report: HousekeepingReport): Promise<void> {
  const { store, images, log } = deps;

  const waiting: RunnerRecord[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await store.listByStatus('image_building', { startKey, limit: 500 });
    waiting.push(...page.records);
    startKey = page.nextKey;
  } while (startKey && waiting.length < MAX_WAITING_PER_RUN);

  const tags = new Set(waiting.map((r) => r.image?.split(':').pop()).filter((t): t is string => Boolean(t)));
  for (const tag of tags) {
    const build = await store.getImageBuild(tag);
    if (!build) continue;
    if (build.buildStatus !== 'IN_PROGRESS') {
      // The end was recorded, but these runners joined the wait after it (or the dispatch was lost).
      await settleImageBuild(tag, { buildId: build.buildId ?? 'unknown', status: build.buildStatus, reason: build.statusReason ?? `image build ${build.buildStatus}` }, deps);
      report.imageBuildsSettled++;
      continue;
    }
    const reported = build.buildId ? await images.buildStatus(build.buildId) : undefined;
    if (reported && reported !== 'IN_PROGRESS') {
      log.warn('image build ended without an event reaching the control plane', { tag, buildId: build.buildId, reported });
      await settleImageBuild(tag, { buildId: build.buildId!, status: reported as never, reason: `image build ${build.buildId} ${reported}; see the build's logs in CodeBuild` }, deps);
      report.imageBuildsSettled++;
      continue;
    }
    const age = deps.now().getTime() - Date.parse(build.createdAt);
    if (age > IMAGE_BUILD_TIMEOUT_MS) {
      const reason = `image build ${build.buildId ?? '(never started)'} of ${build.baseImage} did not report within ${IMAGE_BUILD_TIMEOUT_MS / 60000} minutes`;
      log.warn('image build timed out', { tag, buildId: build.buildId });
      await settleImageBuild(tag, { buildId: build.buildId ?? 'unknown', status: 'TIMED_OUT', reason }, deps);
      report.imageBuildsTimedOut++;
    }
  }
}
