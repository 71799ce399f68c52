import { isOurRunnerName, isWaitingForLaunch, replacementIdFor, runnerIdFor, type RunnerRecord } from '@runner-fleet/core';
import { MAX_REPLACEMENTS } from './stranded-jobs.js';
import { fillFreeSlots } from './capacity.js';
import { discardJitConfig } from './jit-config-cleanup.js';
import type { Deps, WorkflowJobDetail } from './ports.js';

/** in_progress: the runner GitHub gave the job is busy with it (it may not be the job's own runner). */
export async function recordJobStarted(detail: WorkflowJobDetail, deps: Deps): Promise<void> {
  const runnerName = detail.job.runnerName;
  if (!isOurRunnerName(deps.config.runnerNamePrefix, runnerName)) {
    deps.log.info('job started on a runner that is not ours', { runnerName });
    return;
  }
  deps.log.appendKeys({ runnerId: runnerName });
  const result = await deps.store.advance(runnerName, 'busy', { assignedJobId: detail.job.id, statusReason: `running job ${detail.job.id}` });
  if (!result.changed) deps.log.info('in_progress not recorded', { reason: result.reason });
  // The job reached a runner launched for another job: remember it, so no replacement is launched for it.
  if (result.record && result.record.jobId !== detail.job.id) await deps.store.markJobServed(detail.job.id, runnerName);
}

/**
 * The terminal record a job leaves when it ended before its `queued` was
 * recorded here: it holds the job's runner id, so a late (or redelivered)
 * `queued` finds it taken and starts nothing. Written by the `completed`'s
 * dispatch; a `queued` written before it is cancelled by its own dispatch,
 * which reads the job's `ended#` marker (routes/stream.ts).
 * False when the job's runner record already exists.
 */
function recordJobEndedBeforeQueued(event: Pick<WorkflowJobDetail, 'repo' | 'job'>, deps: Pick<Deps, 'store' | 'config' | 'now'>): Promise<boolean> {
  const { job } = event;
  const conclusion = job.conclusion ?? 'unknown';
  const now = deps.now().toISOString();
  return deps.store.create({
    runnerId: runnerIdFor(deps.config.runnerNamePrefix, job.id),
    status: 'cancelled',
    statusReason: `job ${job.id} ended (${conclusion}${job.runnerName ? ` on runner ${job.runnerName}` : ''}) before it was queued here; no runner launched`,
    repo: event.repo,
    jobId: job.id,
    runId: job.runId,
    runAttempt: job.runAttempt,
    jobName: job.name,
    workflowName: job.workflowName,
    labels: job.labels,
    conclusion,
    createdAt: now,
    updatedAt: now,
    finishedAt: now,
    version: 1,
  });
}

/**
 * completed: the runner that ran the job is done with it. The job's own
 * runner, while it is not launched yet, is cancelled when no runner of ours
 * ran the job (it was cancelled before pickup, or another fleet's runner ran
 * it); when another runner of ours ran it, the own runner stays to serve the
 * job that runner was launched for. A job that ended before it was queued
 * here leaves a terminal record, so a late `queued` starts nothing.
 */
export async function recordJobCompleted(detail: WorkflowJobDetail, deps: Deps): Promise<void> {
  const { job } = detail;
  const { store, config, log } = deps;
  const conclusion = job.conclusion ?? 'unknown';
  const ranOnOurs = isOurRunnerName(config.runnerNamePrefix, job.runnerName);
  if (isOurRunnerName(config.runnerNamePrefix, job.runnerName)) {
    const result = await store.advance(job.runnerName, 'completed', {
      conclusion,
      assignedJobId: job.id,
      statusReason: `job ${job.id} completed: ${conclusion}`,
    });
    if (!result.changed) log.info('completion not recorded on the runner', { runnerName: job.runnerName, reason: result.reason });
    else await fillFreeSlots(deps);
  }

  const ownRunnerId = runnerIdFor(config.runnerNamePrefix, job.id);
  if (ownRunnerId === job.runnerName) return;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const own = await store.get(ownRunnerId);
    if (!own) {
      if (await recordJobEndedBeforeQueued(detail, deps)) return;
      continue; // queued was recorded meanwhile: look again
    }
    if (ranOnOurs) return;
    const by = job.runnerName === null ? 'before a runner took it' : `on runner ${job.runnerName}, not one of this fleet's`;
    if (isWaitingForLaunch(own.status)) {
      await cancelWaiting(own, conclusion, `job ${job.id} ended (${conclusion}) ${by}`, deps);
    } else {
      // Its runner is up and may take another queued job; idle runners are reaped by housekeeping.
      log.info('job ended without our runner; its runner stays available to other jobs', { runnerId: ownRunnerId, status: own.status, runnerName: job.runnerName });
    }
    // Its own runner ran another job, so replacements may have been launched for it: they are not needed now.
    if (own.assignedJobId !== undefined && own.assignedJobId !== job.id) await cancelReplacements(job.id, conclusion, deps);
    return;
  }
}

async function cancelReplacements(jobId: number, conclusion: string, deps: Deps): Promise<void> {
  for (let n = 1; n <= MAX_REPLACEMENTS; n++) {
    const id = replacementIdFor(deps.config.runnerNamePrefix, jobId, n);
    const replacement = id ? await deps.store.get(id) : undefined;
    if (!replacement) return;
    if (isWaitingForLaunch(replacement.status)) await cancelWaiting(replacement, conclusion, `job ${jobId} ended (${conclusion}) before this replacement took it`, deps);
  }
}

/** A runner whose job ended before any runner took it: cancelled while it has no task (a launched one stays for other jobs). */
async function cancelWaiting(runner: RunnerRecord, conclusion: string, reason: string, deps: Deps): Promise<void> {
  const result = await deps.store.advance(runner.runnerId, 'cancelled', { conclusion, statusReason: reason });
  deps.log.info('job ended before pickup', { runnerId: runner.runnerId, cancelled: result.changed });
  // A launch that failed ambiguously (RunTask timed out) may have stored its JIT config: no STOPPED
  // event will come for a task that never started, and a cancelled record is never re-dispatched.
  if (result.changed) await discardJitConfig(runner.runnerId, deps);
}
