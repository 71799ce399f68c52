import { launchRunner } from '../domain/launch-runner.js';
import { recordJobCompleted, recordJobStarted } from '../domain/job-progress.js';
import type { Deps, WorkflowJobDetail } from '../domain/ports.js';

/** A workflow_job hand-off: from the table's stream (routes/stream.ts), or a re-dispatch of the fleet's own from the bus; both retry this route when it throws. */
export async function dispatch(detail: WorkflowJobDetail, deps: Deps): Promise<void> {
  deps.log.appendKeys({ deliveryId: detail.deliveryId, jobId: detail.job.id, action: detail.action, runnerId: detail.runner?.runnerId });
  countJob(detail, deps);
  switch (detail.action) {
    case 'queued':
      if (!detail.runner) throw new Error('queued event without its runner; no hand-off of ingress or of the fleet makes one');
      return launchRunner(detail, detail.runner, deps);
    case 'in_progress':
      return recordJobStarted(detail, deps);
    case 'completed':
      return recordJobCompleted(detail, deps);
    default:
      deps.log.warn('unknown workflow_job action on the bus; dropped', { action: (detail as { action: unknown }).action });
  }
}

/** Conclusions that mean the job failed (GitHub's workflow_job conclusions). */
const FAILED_CONCLUSIONS = new Set(['failure', 'timed_out', 'startup_failure']);

/**
 * Jobs per minute for the dashboard, from GitHub's deliveries only: the fleet's own
 * dispatches (slot freed, image built, housekeeping, replacement) carry a
 * `<source>:` delivery id, GitHub's are GUIDs. A delivery EventBridge retries counts again.
 */
function countJob(detail: WorkflowJobDetail, deps: Deps): void {
  if (detail.deliveryId.includes(':')) return;
  if (detail.action === 'queued') deps.metrics.count('JobsQueued');
  else if (detail.action === 'in_progress') deps.metrics.count('JobsStarted');
  else if (detail.action === 'completed') {
    deps.metrics.count('JobsCompleted');
    if (FAILED_CONCLUSIONS.has(detail.job.conclusion ?? '')) deps.metrics.count('JobsFailed');
  }
}
