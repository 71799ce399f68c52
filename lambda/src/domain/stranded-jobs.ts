import { isTerminal, replacementIdFor, runnerIdFor, type RunnerRecord } from '@runner-fleet/core';
import { dispatchEventFor } from './dispatch-event.js';
import type { Deps } from './ports.js';

/** A job still queued this long after its webhook, while its own runner ran another job, is stranded. */
export const STRANDED_AFTER_MS = 2 * 60 * 1000;
/** Runners that ended within this long may have left their own job stranded; older ones were looked at in earlier runs. */
export const STRANDED_LOOKBACK_MS = 20 * 60 * 1000;
/** Replacements per job; a job whose replacements keep taking other jobs is left to the next run after this many. */
export const MAX_REPLACEMENTS = 3;
/** GitHub is asked about at most this many jobs per run (the rate limit is shared with launches). */
const MAX_GITHUB_CHECKS_PER_RUN = 50;

/**
 * GitHub gives a job to any runner whose labels include all of the job's. A
 * runner launched for `[self-hosted, class:medium]` can take a `[self-hosted]`
 * job, and the `[self-hosted]` runner cannot take the medium job: without
 * help, that job waits forever. For every job whose runner (own or a
 * replacement) ran another job, housekeeping checks whether the job reached
 * another of our runners (a `job#` marker) or, failing that, asks GitHub;
 * a job GitHub still holds as queued gets a replacement runner with its
 * labels: `<prefix>-<jobId>r<n>`. Returns how many were launched.
 */
export async function replaceStrandedJobs(deps: Deps, runners: RunnerRecord[], maxLookups = MAX_GITHUB_CHECKS_PER_RUN): Promise<number> {
  const { store, config, log } = deps;
  const now = deps.now().getTime();
  const strandedJobIds = [...new Set(runners.filter((r) => r.assignedJobId !== undefined && r.assignedJobId !== r.jobId).map((r) => r.jobId))];
  const served = await store.servedJobs(strandedJobIds);
  const events = [];
  let checks = 0;
  for (const jobId of strandedJobIds.filter((id) => !served.has(id))) {
    if (checks >= Math.min(maxLookups, MAX_GITHUB_CHECKS_PER_RUN)) break;
    const own = await store.get(runnerIdFor(config.runnerNamePrefix, jobId));
    if (!own || now - Date.parse(own.createdAt) < STRANDED_AFTER_MS) continue;
    const next = await nextReplacementId(deps, jobId);
    if (!next) continue;
    checks++;
    const status = await deps.github.jobStatus(jobId);
    if (status !== 'queued') {
      // It reached a runner of another fleet, or ended: remember, so GitHub is not asked again.
      if (status !== undefined) await store.markJobServed(jobId, `github:${status}`);
      continue;
    }
    const replacement = replacementRecord(own, next, `replaces a runner of job ${jobId} that ran another job; the job is still queued on GitHub`, deps.now().toISOString());
    if (!(await store.create(replacement))) continue;
    log.warn('launching a replacement runner for a job whose runner ran another job', { jobId, runnerId: next });
    events.push(dispatchEventFor(replacement, `replacement:${next}`));
  }
  if (events.length > 0) await deps.bus.publishAll(events);
  deps.metrics.count('RunnersReplaced', events.length);
  return events.length;
}

/** A queued record for replacement `runnerId` of `own`'s job, with the job's labels and size. */
export function replacementRecord(own: RunnerRecord, runnerId: string, statusReason: string, at: string): RunnerRecord {
  return {
    runnerId,
    status: 'queued',
    statusReason,
    repo: own.repo,
    jobId: own.jobId,
    runId: own.runId,
    runAttempt: own.runAttempt,
    jobName: own.jobName,
    workflowName: own.workflowName,
    labels: own.labels,
    runnerClass: own.runnerClass,
    cpu: own.cpu,
    memory: own.memory,
    spot: own.spot,
    baseImage: own.baseImage,
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
}

/** The next free replacement id for the job; undefined while one is still on its way to the job, or none is left. */
export async function nextReplacementId(deps: Deps, jobId: number): Promise<string | undefined> {
  for (let n = 1; n <= MAX_REPLACEMENTS; n++) {
    const id = replacementIdFor(deps.config.runnerNamePrefix, jobId, n);
    if (!id) {
      deps.log.warn('a replacement runner id would not fit ECS startedBy (MAX_RUNNER_ID_LENGTH characters); shorten RUNNER_NAME_PREFIX', { jobId });
      return undefined;
    }
    const existing = await deps.store.get(id);
    if (!existing) return id;
    const tookAnotherJob = existing.assignedJobId !== undefined && existing.assignedJobId !== jobId;
    if (!isTerminal(existing.status) && !tookAnotherJob) return undefined; // still coming for the job
    if (!tookAnotherJob && existing.status === 'completed') return undefined; // it ran the job
  }
  deps.log.warn('job is still stranded after its replacements took other jobs', { jobId, replacements: MAX_REPLACEMENTS });
  return undefined;
}
