import { isOurRunnerName, isTerminal, type RunnerRecord } from '@runner-fleet/core';
import { fillFreeSlots } from './capacity.js';
import { dispatchEventFor } from './dispatch-event.js';
import { nextReplacementId, replacementRecord } from './stranded-jobs.js';
import { billingFacts, type TaskBillingDetail } from './billing-facts.js';
import { decideTaskOutcome } from './task-outcome.js';
import type { Deps } from './ports.js';

/** Every way to busy sets assignedJobId (in_progress names the job), so it alone says a job was taken. */
const tookJob = (record: RunnerRecord) => record.assignedJobId !== undefined;

/** The fields of an ECS Task State Change event's detail that the control plane reads. */
export interface TaskStateDetail extends TaskBillingDetail {
  taskArn: string;
  lastStatus: string;
  startedBy?: string;
  startedAt?: string;
  stoppedAt?: string;
  stoppedReason?: string;
  stopCode?: string;
  containers?: Array<{ name?: string; exitCode?: number; reason?: string }>;
}

/**
 * RUNNING → idle; STOPPED → the outcome decided from facts (task-outcome.ts): exit 0 alone
 * proves nothing. A runner that stopped without taking a job is removed from GitHub, so no
 * offline ghost stays registered, and its job, while GitHub holds it queued, gets a replacement.
 */
export async function onTaskStateChange(detail: TaskStateDetail, deps: Deps): Promise<void> {
  const { config, store, log } = deps;
  const runnerId = detail.startedBy;
  if (!isOurRunnerName(config.runnerNamePrefix, runnerId)) {
    log.debug('task was not started by this fleet', { taskArn: detail.taskArn });
    return;
  }
  log.appendKeys({ runnerId, taskArn: detail.taskArn, lastStatus: detail.lastStatus });

  if (detail.lastStatus === 'RUNNING') {
    let startingSince: string | undefined;
    const result = await store.advance(runnerId, 'idle', (current) => {
      startingSince = current.status === 'starting' ? current.updatedAt : undefined;
      return {
        taskArn: current.taskArn ?? detail.taskArn,
        startedAt: detail.startedAt ?? deps.now().toISOString(),
        statusReason: 'task running, runner waiting for a job',
        ...billingFacts(detail, config),
      };
    });
    if (!result.changed) {
      log.info('RUNNING not recorded', { reason: result.reason });
      return;
    }
    // Queue time as a job sees it: from the queued webhook (the record's creation) to its runner's task RUNNING.
    deps.metrics.seconds('QueueTimeSeconds', (Date.parse(result.record.updatedAt) - Date.parse(result.record.createdAt)) / 1000);
    if (startingSince) deps.metrics.seconds('StartingToIdleSeconds', (Date.parse(result.record.updatedAt) - Date.parse(startingSince)) / 1000);
    return;
  }
  if (detail.lastStatus !== 'STOPPED') return;

  // Whatever ended the task, and even with its record gone: a JIT config its runner never took is deleted
  // (first, so a failure retries the event before anything else is done). Usually the entrypoint did it.
  const discarded = await deps.jitSecrets.discard(runnerId);
  if (discarded > 0) log.info('deleted a JIT config the task never took', { discarded });

  const container = detail.containers?.find((c) => c.name === config.runnerContainerName) ?? detail.containers?.[0];
  const exitCode = container?.exitCode;
  const stoppedReason = [detail.stoppedReason, container?.reason].filter(Boolean).join(': ') || undefined;
  const before = await store.get(runnerId);
  if (!before) {
    log.warn('a task of this fleet stopped with no runner record');
    return;
  }
  // When the record cannot tell (its in_progress not dispatched yet): the start ingress recorded for this runner,
  // which any job may be (GitHub gives a job to any runner whose labels fit), then GitHub's view of its own job.
  const unsure = !tookJob(before) && !isTerminal(before.status);
  const started = unsure ? await store.jobStartedOn(runnerId) : undefined;
  const githubJob = unsure && !started ? await deps.github.job(before.jobId) : undefined;
  const tookPerGitHub = started || githubJob?.runnerName === before.runnerId ? true : githubJob?.status === 'queued' || githubJob?.runnerName ? false : undefined;
  const factsFor = (current: RunnerRecord) => ({
    tookJob: tookJob(current) ? true : tookPerGitHub,
    exitCode,
    stopCode: detail.stopCode,
    stoppedReason,
    fleetRequested: isTerminal(current.status),
  });
  // Decided from the version the write is conditional on: a job can land on the runner meanwhile.
  let outcome = decideTaskOutcome(factsFor(before));
  const result = await store.advance(
    runnerId,
    (current) => {
      outcome = decideTaskOutcome(factsFor(current));
      return outcome.status === 'keep' ? current.status : outcome.status;
    },
    (current) => ({
      statusReason: outcome.status === 'completed' ? `task exited 0 after job ${current.assignedJobId ?? started?.jobId ?? current.jobId}` : outcome.reason,
      ...(current.assignedJobId === undefined && started ? { assignedJobId: started.jobId } : {}),
      finishedAt: detail.stoppedAt ?? deps.now().toISOString(),
      ...billingFacts(detail, config),
    }),
  );
  const current = result.record ?? before;
  // The job's completed webhook usually ended the record first: the stop still closes its billing.
  if (!result.changed && isTerminal(current.status) && detail.stoppedAt) await store.recordBillingEnd(runnerId, billingFacts(detail, config));
  log.info('task stopped', result.changed ? { recorded: current.status, exitCode, stopCode: detail.stopCode } : { unchanged: result.reason });
  if (outcome.imageMissing) await forgetImage(current, stoppedReason, deps);

  if (!tookJob(current) && tookPerGitHub !== true && current.githubRunnerId) {
    const removed = await deps.github.deleteRunner(current.githubRunnerId);
    log.info('removed the runner from GitHub', { githubRunnerId: current.githubRunnerId, outcome: removed });
  }
  // Only the delivery that recorded the failure relaunches; a duplicate finds the record terminal.
  if (result.changed && outcome.relaunch && githubJob?.status === 'queued') await relaunchFor(current, outcome.reason, deps);
  // The runner's end freed its slot (here, or by an operator's terminate): the longest-waiting job takes it.
  // A runner whose completed webhook ended it first was followed by a fill there already.
  if (result.changed || current.status === 'terminated') await fillFreeSlots(deps);
}

/** The runner's image is gone from ECR (expired, deleted): the next launch resolves (and builds) it again. */
async function forgetImage(runner: RunnerRecord, stoppedReason: string | undefined, deps: Deps): Promise<void> {
  const tag = runner.image?.slice(runner.image.lastIndexOf(':') + 1) ?? deps.config.runnerImageTag;
  deps.log.warn('ECS could not pull the runner image; it no longer counts as present', { tag, stoppedReason });
  await deps.images.forget(tag);
}

/** A new runner for the job of a runner that stopped without it (bounded: `<prefix>-<jobId>r<n>`, n ≤ 3). */
async function relaunchFor(ended: RunnerRecord, reason: string, deps: Deps): Promise<void> {
  const next = await nextReplacementId(deps, ended.jobId);
  if (!next) return;
  const replacement = replacementRecord(ended, next, `replaces ${ended.runnerId}, which ${reason}; the job is still queued on GitHub`, deps.now().toISOString());
  // Conditional create: a concurrent relaunch of the same id writes nothing and dispatches nothing.
  if (!(await deps.store.create(replacement))) return;
  deps.log.warn('launching a replacement runner for a job whose runner stopped without it', { jobId: ended.jobId, runnerId: next });
  await deps.bus.publishAll([dispatchEventFor(replacement, `replacement:${next}`)]);
  deps.metrics.count('RunnersReplaced', 1);
}
