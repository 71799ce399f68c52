import { launchRunner } from '../domain/launch-runner.js';
import { recordJobCompleted, recordJobStarted } from '../domain/job-progress.js';
import type { Deps, WorkflowJobDetail } from '../domain/ports.js';

/** The workflow_job events ingress put on the bus (EventBridge retries this route when it throws). */
export async function dispatch(detail: WorkflowJobDetail, deps: Deps): Promise<void> {
  deps.log.appendKeys({ deliveryId: detail.deliveryId, jobId: detail.job.id, action: detail.action, runnerId: detail.runner?.runnerId });
  switch (detail.action) {
    case 'queued':
      if (!detail.runner) throw new Error('queued event without its runner; it was not put on the bus by ingress');
      return launchRunner(detail, detail.runner, deps);
    case 'in_progress':
      return recordJobStarted(detail, deps);
    case 'completed':
      return recordJobCompleted(detail, deps);
    default:
      deps.log.warn('unknown workflow_job action on the bus; dropped', { action: (detail as { action: unknown }).action });
  }
}
