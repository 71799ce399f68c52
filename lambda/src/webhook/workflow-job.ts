/** The parts of a `workflow_job` webhook the control plane uses, checked for type. */
export interface WorkflowJob {
  id: number;
  runId: number;
  runAttempt: number;
  name?: string;
  workflowName?: string;
  labels: string[];
  /** The runner GitHub gave the job (set from in_progress on). */
  runnerName: string | null;
  conclusion: string | null;
}

export interface WorkflowJobEvent {
  action: string;
  repo: string;
  installationId?: number;
  job: WorkflowJob;
}

// Generous: an over-long image: reference must reach the label check, which explains the limit.
const MAX_LABEL_LENGTH = 1024;

/** Reads a workflow_job payload, or says which field is malformed. */
export function parseWorkflowJob(payload: Record<string, unknown>): WorkflowJobEvent | string {
  const action = payload.action;
  if (typeof action !== 'string') return 'payload has no "action"';
  const repository = payload.repository as Record<string, unknown> | undefined;
  if (typeof repository?.full_name !== 'string') return 'payload has no repository.full_name';
  const job = payload.workflow_job as Record<string, unknown> | undefined;
  if (typeof job !== 'object' || job === null) return 'payload has no workflow_job object';
  if (!isId(job.id)) return 'workflow_job.id must be a positive integer';
  if (!isId(job.run_id)) return 'workflow_job.run_id must be a positive integer';
  const labels = job.labels;
  if (!Array.isArray(labels)) return 'workflow_job.labels must be an array';
  if (!labels.every((l): l is string => typeof l === 'string' && l.length > 0 && l.length <= MAX_LABEL_LENGTH)) {
    return `workflow_job.labels must be non-empty strings of at most ${MAX_LABEL_LENGTH} characters`;
  }
  const installation = payload.installation as Record<string, unknown> | undefined;
  return {
    action,
    repo: repository.full_name,
    installationId: isId(installation?.id) ? installation.id : undefined,
    job: {
      id: job.id,
      runId: job.run_id,
      runAttempt: isId(job.run_attempt) ? job.run_attempt : 1,
      name: optionalString(job.name),
      workflowName: optionalString(job.workflow_name),
      labels,
      runnerName: optionalString(job.runner_name) ?? null,
      conclusion: optionalString(job.conclusion) ?? null,
    },
  };
}

function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value.slice(0, 512) : undefined;
}
