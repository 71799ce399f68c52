import type { RunnerArchitecture } from './labels.js';
import type { RunnerStatus } from './statuses.js';

/** The runner record in DynamoDB: the contract between the Lambda and the CLI (DESIGN §4). */
export interface RunnerRecord {
  runnerId: string;
  status: RunnerStatus;
  statusReason?: string;
  repo: string;
  jobId: number;
  runId: number;
  runAttempt: number;
  jobName?: string;
  workflowName?: string;
  assignedJobId?: number;
  labels: string[];
  runnerClass?: string;
  cpu?: number;
  memory?: number;
  spot?: boolean;
  image?: string;
  baseImage?: string;
  taskArn?: string;
  githubRunnerId?: number;
  conclusion?: string;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  finishedAt?: string;
  expiresAt?: number;
  /** Set while the runner waits to be dispatched again (no free slot, or ECS had no capacity): not before this time. */
  retryAt?: string;
  /** RunTask attempts that started nothing (capacity, throttling); the launch fails after MAX_LAUNCH_ATTEMPTS. */
  launchAttempts?: number;
  /** Times housekeeping dispatched this runner again after its dispatch was lost; bounded, then failed. */
  redispatches?: number;
  /** Billing facts (from ECS's task events; docs/design-notes.md "Billing fields"): the task's CPU architecture, X86_64 or ARM64. */
  architecture?: RunnerArchitecture;
  /** The capacity provider ECS ran the task on (FARGATE or FARGATE_SPOT); `spot` is what was asked for, this is what ran. */
  capacityProvider?: string;
  /** Fargate bills from the start of the image pull (ECS pullStartedAt, else startedAt) ... */
  billingStartedAt?: string;
  /** ... to the task's stop (ECS stoppedAt). */
  billingEndedAt?: string;
  /** The task's ephemeral storage when ECS reports it (20 GiB is included in the price). */
  ephemeralStorageGiB?: number;
  /** The GitHub delivery that queued the job; only records ingress wrote carry it, and its stream INSERT is their dispatch. */
  deliveryId?: string;
  /** The GitHub App installation the delivery named (GitHub App auth), for dispatch's GitHub calls. */
  installationId?: number;
  version: number;
}

/** Fields a transition may set besides status, statusReason and the timestamps. */
export type RunnerUpdate = Partial<
  Pick<
    RunnerRecord,
    'assignedJobId' | 'image' | 'taskArn' | 'githubRunnerId' | 'conclusion' | 'startedAt' | 'finishedAt' | 'statusReason' | 'retryAt' | 'launchAttempts' | 'redispatches'
    | 'architecture' | 'capacityProvider' | 'billingStartedAt' | 'billingEndedAt' | 'ephemeralStorageGiB'
  >
>;

/** The fields `ecsrunner cost` reads that ECS reports about a task (docs/design-notes.md, "Billing fields"). */
export const BILLING_FIELDS = ['architecture', 'capacityProvider', 'billingStartedAt', 'billingEndedAt', 'ephemeralStorageGiB'] as const;
export type BillingField = (typeof BILLING_FIELDS)[number];

/** ECS RunTask `startedBy` allows up to 128 characters (ECS API reference); the runner id is used there verbatim. */
export const ECS_STARTED_BY_MAX_LENGTH = 128;
export const MAX_RUNNER_ID_LENGTH = ECS_STARTED_BY_MAX_LENGTH;

export function runnerIdFor(prefix: string, jobId: number): string {
  return `${prefix}-${jobId}`;
}

/**
 * The id of the n-th replacement runner for a job whose own runner took
 * another job (GitHub gives a job to any runner whose labels include the
 * job's): `<prefix>-<jobId>r<n>`. Undefined when it would not fit ECS startedBy.
 */
export function replacementIdFor(prefix: string, jobId: number, n: number): string | undefined {
  const id = `${prefix}-${jobId}r${n}`;
  return id.length <= MAX_RUNNER_ID_LENGTH ? id : undefined;
}

/** True when `name` is a runner name this fleet would have given (prefix-jobId, or a replacement's prefix-jobId r n). */
export function isOurRunnerName(prefix: string, name: string | null | undefined): name is string {
  return typeof name === 'string' && name.startsWith(`${prefix}-`) && /^\d+(r\d)?$/.test(name.slice(prefix.length + 1));
}
