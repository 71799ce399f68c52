import type { RunnerRecord } from '@runner-fleet/core';
import type { WorkflowJobDetail } from './ports.js';

/**
 * The dispatch event for a recorded runner: built from the stream record of
 * ingress's write for a new job; put on the bus by the image-build route for
 * runners whose image is ready, by a freed slot, and by housekeeping for a job
 * whose dispatch was lost.
 */
export function dispatchEventFor(record: RunnerRecord, deliveryId: string, installationId?: number): WorkflowJobDetail {
  return {
    action: 'queued',
    deliveryId,
    repo: record.repo,
    ...(installationId ? { installationId } : {}),
    job: { id: record.jobId, runId: record.runId, runAttempt: record.runAttempt, name: record.jobName, workflowName: record.workflowName, labels: record.labels, runnerName: null, conclusion: null },
    runner: {
      runnerId: record.runnerId,
      version: record.version,
      ...(record.status === 'image_building' ? { status: 'image_building' as const } : {}),
      runnerClass: record.runnerClass ?? '',
      cpu: record.cpu ?? 0,
      memory: record.memory ?? 0,
      spot: record.spot ?? false,
      ...(record.baseImage ? { baseImage: record.baseImage } : {}),
    },
  };
}
