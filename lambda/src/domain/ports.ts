import type { LabelPolicy, RunnerStore } from '@runner-fleet/core';
import type { Config } from '../config.js';
import type { Log } from '../runtime/logger.js';
import type { WorkflowJob } from '../webhook/workflow-job.js';
import type { TaskBillingDetail } from './billing-facts.js';
import type { GitHubBudgetState } from './github-budget.js';

/**
 * The runners' JIT configs while they wait for their tasks: one SSM SecureString per launch
 * attempt, which the runner's entrypoint reads and deletes before it starts the listener.
 */
export interface JitSecrets {
  /** Stores the config; returns the parameter's name (unguessable without the config), the one thing the task is given. */
  store(runnerId: string, jitConfig: string): Promise<string>;
  /** Deletes whatever config of this runner is still stored (bounded: one runner's parameters); how many were deleted. */
  discard(runnerId: string): Promise<number>;
}

/** What dispatch acts on: built from the stream record of ingress's write, or put on the bus by the fleet's own re-dispatches (source runner-fleet.github, detail-type workflow_job). */
export interface WorkflowJobDetail {
  action: 'queued' | 'in_progress' | 'completed';
  deliveryId: string;
  repo: string;
  installationId?: number;
  job: WorkflowJob;
  /** Set for `queued`: the runner record ingress created, as dispatch needs it. */
  runner?: QueuedRunner;
}

export interface QueuedRunner {
  runnerId: string;
  version: number;
  /** The record's status when the event was put: queued, or image_building when an image build ended. */
  status?: 'queued' | 'image_building';
  runnerClass: string;
  cpu: number;
  memory: number;
  spot: boolean;
  baseImage?: string;
}

export interface JitConfig {
  githubRunnerId: number;
  encodedJitConfig: string;
}

/** GitHub's self-hosted runner endpoints for the configured repository. */
export interface GitHubRunners {
  /** Registers a JIT runner; 'exists' when a runner of that name is already registered. */
  generateJitConfig(request: { name: string; labels: string[]; runnerGroupId: number; installationId?: number }): Promise<JitConfig | 'exists'>;
  findRunner(name: string, installationId?: number): Promise<{ id: number; busy: boolean; status: string } | undefined>;
  /** 'busy' when GitHub refuses because the runner is running a job. */
  deleteRunner(id: number, installationId?: number): Promise<'deleted' | 'not-found' | 'busy'>;
  /** A workflow job's status on GitHub (queued, in_progress, completed, …); undefined when GitHub does not know it. */
  jobStatus(jobId: number, installationId?: number): Promise<string | undefined>;
  /** A workflow job's status and the name of the runner GitHub gave it (absent while none has); undefined when GitHub does not know it. */
  job(jobId: number, installationId?: number): Promise<{ status: string; runnerName?: string } | undefined>;
  /** The repository's self-hosted runners whose name starts with `prefix` (paginated). */
  listRunners(prefix: string): Promise<Array<{ id: number; name: string; status: string; busy: boolean }>>;
}

export interface LaunchSpec {
  runnerId: string;
  taskDefinition: string;
  containerName: string;
  cpu: number;
  memory: number;
  spot: boolean;
  /** RunTask's idempotency token: one per launch attempt (runner id, JIT config, capacity provider), at most 64 characters. */
  clientToken: string;
  /** The name of the SSM SecureString holding the JIT config: the only trace of it RunTask carries. */
  jitConfigParameter: string;
  tags: Record<string, string>;
}

/** ECS tasks of this fleet's cluster. */
export interface RunnerTasks {
  /** Starts the runner's task (idempotent per runner id); throws when ECS does not start it. */
  run(spec: LaunchSpec): Promise<string>;
  /** The live task started for this runner, if any. */
  findLive(runnerId: string): Promise<string | undefined>;
  /** Running (or starting) tasks of the cluster, at most `limit`. */
  listRunning(limit: number): Promise<string[]>;
  /** What ECS knows of these tasks now (at most 100); a task it does not know is absent from the map. */
  describe(taskArns: string[]): Promise<Map<string, TaskSnapshot>>;
  stop(taskArn: string, reason: string): Promise<void>;
}

/** A task as DescribeTasks reports it, in the shape of an ECS Task State Change detail. */
export interface TaskSnapshot extends TaskBillingDetail {
  taskArn: string;
  lastStatus: string;
  startedBy?: string;
  stoppedReason?: string;
  stopCode?: string;
  stoppedAt?: string;
  containers?: Array<{ name?: string; exitCode?: number; reason?: string }>;
}

export interface EventPublisher {
  publish(detail: WorkflowJobDetail): Promise<void>;
  /** Many events at once (batched by the adapter). */
  publishAll(details: WorkflowJobDetail[]): Promise<void>;
}

/** Runner images built FROM image: labels: ECR, a task definition per image, CodeBuild. */
export interface RunnerImages {
  /** Whether ECR holds `tag`; a positive answer is remembered for a while only (the lifecycle policy may expire images). */
  exists(tag: string): Promise<boolean>;
  /** Drops what is remembered of `tag` (e.g. after ECS could not pull it), so the next exists() asks ECR. */
  forget(tag: string): Promise<void>;
  /** The task definition (family) that runs the fleet's image `tag`, registered once per tag and reused. */
  taskDefinitionFor(tag: string): Promise<string>;
  /** Starts the build of `tag` FROM `baseImage` (undefined: the Dockerfile's default base); returns the build id. */
  startBuild(baseImage: string | undefined, tag: string): Promise<string>;
  /** CodeBuild's status of a build (IN_PROGRESS, SUCCEEDED, FAILED, …), or undefined when it does not know it. */
  buildStatus(buildId: string): Promise<string | undefined>;
}

/**
 * GitHub's remaining REST budget, shared by every Lambda instance (one item in the table):
 * the GitHub client feeds it every answer, dispatch and housekeeping read it.
 */
export interface GitHubBudget {
  /** Takes in one answer's rate-limit state (the client calls it for every answer; writes are batched). */
  record(state: GitHubBudgetState): Promise<void>;
  /** The newest state any instance published (cached briefly); undefined while none is known. */
  current(): Promise<GitHubBudgetState | undefined>;
}

/** The fleet's CloudWatch metrics (EMF), flushed once per event. */
export type CountMetric =
  | 'RunnersLaunched'
  | 'LaunchFailures'
  | 'RunnersReaped'
  | 'RunnersReconciled'
  | 'StuckStartingFailed'
  | 'JobsOverMaxDuration'
  | 'OrphanTasksStopped'
  | 'GhostRunnersRemoved'
  | 'DispatchesRetried'
  | 'LeakedSlotsFreed'
  | 'RunnersReplaced'
  /** A launch waited for GitHub's rate limit to pass (the runner stays queued, no launch attempt counted). */
  | 'GitHubRateLimited'
  /** ECS throttled RunTask (or SSM the JIT config's PutParameter) past the SDK's retries: the launch is tried again in seconds. */
  | 'RunTaskThrottled'
  /** Housekeeping skipped or cut GitHub sweeps because the budget was below GITHUB_API_RESERVE. */
  | 'GitHubSweepsDeferred'
  /** workflow_job deliveries of the fleet's jobs, as dispatch receives them from ingress. */
  | 'JobsQueued'
  | 'JobsStarted'
  | 'JobsCompleted'
  /** Completed with conclusion failure, timed_out or startup_failure. */
  | 'JobsFailed';
/** Levels written every housekeeping run, zero included. */
export type GaugeMetric = 'ActiveRunners' | 'RunnerCap' | 'RunnersWaiting' | 'RunnersQueued' | 'RunnersStarting' | 'RunnersIdle' | 'RunnersBusy';
export type SecondsMetric =
  | 'QueuedToStartingSeconds'
  | 'StartingToIdleSeconds'
  /** From the queued webhook (record created) to the runner's task RUNNING: the wait a job sees. */
  | 'QueueTimeSeconds'
  /** Age of the oldest queued runner at each housekeeping run (0 when none waits): the "jobs waiting" alarm. */
  | 'OldestQueuedSeconds';

export interface FleetMetrics {
  /** Counts an event (nothing for 0); `reason` becomes a dimension (LaunchFailures by reason), and the fleet-wide total is counted too. */
  count(name: CountMetric, value?: number, dimensions?: { reason: string }): void;
  gauge(name: GaugeMetric, value: number): void;
  seconds(name: SecondsMetric, value: number): void;
  /** Writes what was recorded since the last flush, as EMF. */
  flush(): Promise<void>;
}

/** Everything the routes use, built once per cold start (or handed in by tests). */
export interface Deps {
  config: Config;
  store: RunnerStore;
  github: GitHubRunners;
  githubBudget: GitHubBudget;
  tasks: RunnerTasks;
  bus: EventPublisher;
  images: RunnerImages;
  jitSecrets: JitSecrets;
  webhookSecrets(): Promise<string[]>;
  labelPolicy(): Promise<LabelPolicy>;
  log: Log;
  metrics: FleetMetrics;
  now(): Date;
}

/** Thrown for failures worth another try later: the event is retried by EventBridge/Lambda. */
export class RetryableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RetryableError';
  }
}

/** ECS throttled the call (ThrottlingException, or InvalidParameterException "Request limit exceeded"): try later. */
export class ThrottledError extends RetryableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ThrottledError';
  }
}

/** GitHub refused the request for its rate limit and the wait is too long to sit out in the Lambda: try at `retryAt`. */
export class GitHubRateLimitedError extends RetryableError {
  constructor(
    message: string,
    readonly retryAt: Date,
    readonly kind: 'primary' | 'secondary',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GitHubRateLimitedError';
  }
}

/** RunTask started no task because the capacity provider had none: worth another provider, or a later try. */
export class CapacityError extends RetryableError {
  constructor(message: string) {
    super(message);
    this.name = 'CapacityError';
  }
}

/** Thrown when ECS refuses a launch for good (bad parameters, missing task definition). */
export class LaunchRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LaunchRefusedError';
  }
}
