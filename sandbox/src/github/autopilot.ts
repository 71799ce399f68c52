import type { EcsSimulator, SimTask } from '../aws/ecs.js';
import type { LogsSimulator } from '../aws/logs.js';
import type { GitHubSimulator, SimJob, SimRunner } from './github-simulator.js';
import { workflowJobPayload, type WebhookSender } from './webhooks.js';

export interface AutopilotOptions {
  /** SANDBOX_AUTOPILOT: assign jobs to runners and send in_progress/completed for them. */
  enabled: boolean;
  /** SANDBOX_JOB_MS: how long a job runs. */
  jobMs: number;
  /** SANDBOX_PICKUP_MS: from a runner coming online to GitHub handing it a job (session, job acquisition). */
  pickupMs: number;
  containerName: string;
  /** The awslogs group the runner process writes to (stream runner/<container>/<taskId>). */
  logGroup: string;
  installationId?: number;
  onError(message: string, error: unknown): void;
  /** Delivery faults GitHub shows at scale (the storm uses them). */
  chaos?: AutopilotChaos;
  /**
   * What the runner image's entrypoint does with RUNNER_JITCONFIG_PARAMETER: reads the SecureString
   * (with the task role) and deletes it; undefined when it cannot (no such parameter, no access).
   */
  takeJitConfig(parameterName: string): Promise<string | undefined>;
}

export interface AutopilotChaos {
  /** Jobs whose every webhook is delivered twice, with the same delivery id (a redelivery). */
  redeliver?(jobId: number): boolean;
  /** Jobs whose `completed` is delivered before their `in_progress`. */
  outOfOrder?(jobId: number): boolean;
}

/**
 * Plays GitHub's side: when a runner's task is RUNNING, the runner process
 * registers with its JIT config; with the autopilot on, GitHub hands it the
 * oldest queued job it matches, sends in_progress, and after the job's run
 * time sends completed, removes the ephemeral runner and the task exits 0.
 */
export class Autopilot {
  private nextJobId = 4_200_000_000 + Math.floor(Math.random() * 1_000_000) * 1000;
  private readonly taskOfRunner = new Map<number, string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private pendingSends = 0;
  /** Runner processes that will end before taking a job, each with its exit code (the next one first). */
  private readonly earlyExits: number[] = [];
  private closed = false;
  /** While set (holdJobs), started jobs wait here instead of finishing after their run time. */
  private heldJobs: Array<() => void> | undefined;
  private pendingStarts = 0;
  /** The environment each task's job step ran with (the container's, as ECS set it), by task ARN. */
  readonly stepEnvironments = new Map<string, Record<string, string>>();

  constructor(
    private readonly github: GitHubSimulator,
    private readonly ecs: EcsSimulator,
    private readonly sender: WebhookSender,
    private readonly logs: LogsSimulator,
    private readonly options: AutopilotOptions,
  ) {
    ecs.onTaskRunning((task) => this.runnerProcessStarted(task));
    ecs.onTaskStopped((task) => this.runnerProcessStopped(task));
  }

  get busy(): boolean {
    return this.timers.size > 0 || this.pendingSends > 0 || this.pendingStarts > 0;
  }

  /**
   * The next `count` runner processes register, then end before taking any job with `exitCode`
   * (the real run.sh maps a listener crash or session conflict to 0), and ECS stops their tasks.
   */
  exitBeforeJob(count: number, exitCode: number): void {
    for (let i = 0; i < count; i++) this.earlyExits.push(exitCode);
  }

  /**
   * Jobs taken from now on run until the returned function is called (then for their usual
   * time): a test can queue a backlog behind busy runners with no slot freeing meanwhile.
   */
  holdJobs(): () => void {
    const held: Array<() => void> = [];
    this.heldJobs = held;
    return () => {
      if (this.heldJobs === held) this.heldJobs = undefined;
      for (const finish of held.splice(0)) finish();
    };
  }

  /** A workflow run queues a job: GitHub records it and sends `queued`. */
  async queueJob(labels: string[], fields: { name?: string; runId?: number } = {}): Promise<SimJob> {
    const id = this.nextJobId++;
    const job = queuedJob({ id, runId: fields.runId ?? id - 1000, name: fields.name, labels });
    this.github.jobs.set(id, job);
    await this.notify('queued', job);
    if (this.options.enabled) this.assignWaitingRunners();
    return job;
  }

  /**
   * A `queued` delivery that did not come from queueJob (sandbox:send, a test
   * playing GitHub): from now on the simulated GitHub knows that job too.
   */
  adoptDeliveredJob(body: Buffer, contentType: string | undefined): void {
    try {
      const text = body.toString('utf8');
      const json = contentType?.startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(text).get('payload') ?? '' : text;
      const payload = JSON.parse(json) as { action?: string; workflow_job?: { id: number; run_id: number; run_attempt?: number; name?: string; workflow_name?: string; labels: string[] } };
      const wj = payload.workflow_job;
      if (payload.action !== 'queued' || !wj || this.github.jobs.has(wj.id)) return;
      this.github.jobs.set(wj.id, queuedJob({ id: wj.id, runId: wj.run_id, runAttempt: wj.run_attempt, name: wj.name, workflowName: wj.workflow_name, labels: wj.labels }));
      if (this.options.enabled) this.assignWaitingRunners();
    } catch {
      // Not a payload the simulated GitHub can take over; the control plane already answered it.
    }
  }

  /** The workflow is cancelled before a runner took the job. */
  async cancelJob(jobId: number): Promise<void> {
    const job = this.github.jobs.get(jobId);
    if (!job || job.status !== 'queued') return;
    Object.assign(job, { status: 'completed', conclusion: 'cancelled' });
    await this.notify('completed', job);
  }

  /** Stops simulating: pending timers are dropped, and work still in flight schedules nothing more. */
  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** What the runner process prints, as the awslogs driver stores it. */
  private log(task: SimTask, ...lines: string[]): void {
    this.logs.write(this.options.logGroup, `runner/${this.options.containerName}/${task.taskArn.split('/').pop()}`, lines);
  }

  private runnerProcessStarted(task: SimTask): void {
    this.pendingStarts++;
    void this.startRunnerProcess(task)
      .catch((error: unknown) => this.options.onError(`runner process of ${task.taskArn} failed to start`, error))
      .finally(() => this.pendingStarts--);
  }

  private async startRunnerProcess(task: SimTask): Promise<void> {
    const env = task.environment[this.options.containerName] ?? {};
    const parameter = env.RUNNER_JITCONFIG_PARAMETER;
    const jitConfig = parameter ? await this.options.takeJitConfig(parameter) : undefined;
    if (!parameter || jitConfig === undefined) {
      this.log(task, parameter ? `runner-entrypoint: could not read the JIT configuration from SSM parameter ${parameter}` : 'runner-entrypoint: no JIT configuration');
      // The entrypoint exits 78 (configuration error) before any runner starts.
      this.later(5, () => this.ecs.exitTask(task.taskArn, 78, 'runner-entrypoint: no JIT configuration'));
      return;
    }
    const runner = this.github.registerFromJitConfig(jitConfig);
    if (!runner) {
      this.log(task, 'An error occurred: Not configured. Run config.(sh/cmd) to configure the runner.');
      // The runner cannot register (no config, used or revoked): the process exits non-zero.
      this.later(5, () => this.ecs.exitTask(task.taskArn, 1, 'runner registration failed: JIT configuration missing, used or revoked'));
      return;
    }
    const earlyExit = this.earlyExits.shift();
    if (earlyExit !== undefined) {
      this.log(task, `√ Connected to GitHub`, 'A session for this runner already exists.', `Runner listener exited with error code ${earlyExit}`);
      // Registered but never online for jobs: GitHub keeps it (offline) until someone removes it.
      runner.status = 'offline';
      this.later(5, () => this.ecs.exitTask(task.taskArn, earlyExit, 'runner exited before taking a job'));
      return;
    }
    this.taskOfRunner.set(runner.id, task.taskArn);
    this.log(task, `√ Connected to GitHub`, `Current runner version: '2.335.1'`, `Listening for Jobs (runner ${runner.name})`);
    if (this.options.enabled) this.later(this.options.pickupMs, () => this.assignWaitingRunners());
  }

  private runnerProcessStopped(task: SimTask): void {
    for (const [runnerId, taskArn] of this.taskOfRunner) {
      if (taskArn !== task.taskArn) continue;
      this.taskOfRunner.delete(runnerId);
      const runner = this.github.runners.get(runnerId);
      if (runner) runner.status = 'offline';
      const job = [...this.github.jobs.values()].find((j) => j.runnerId === runnerId && j.status === 'in_progress');
      if (job && runner) {
        // The runner vanished mid-job: GitHub fails the job.
        Object.assign(job, { status: 'completed', conclusion: 'failure' });
        runner.busy = false;
        void this.notify('completed', job);
      }
    }
  }

  private assignWaitingRunners(): void {
    for (const [runnerId, taskArn] of this.taskOfRunner) {
      const runner = this.github.runners.get(runnerId);
      if (!runner || runner.busy || runner.status !== 'online') continue;
      const job = this.oldestMatchingJob(runner);
      if (job) this.run(job, runner, taskArn);
    }
  }

  private oldestMatchingJob(runner: SimRunner): SimJob | undefined {
    const has = new Set(runner.labels.map((l) => l.toLowerCase()));
    for (const job of this.github.jobs.values()) {
      if (job.status === 'queued' && job.labels.every((l) => has.has(l.toLowerCase()))) return job;
    }
    return undefined;
  }

  private run(job: SimJob, runner: SimRunner, taskArn: string): void {
    Object.assign(job, { status: 'in_progress', runnerName: runner.name, runnerId: runner.id });
    runner.busy = true;
    const task = this.ecs.tasks.get(taskArn);
    if (task) {
      this.log(task, `Running job: ${job.name}`);
      this.stepEnvironments.set(taskArn, { ...(task.environment[this.options.containerName] ?? {}) });
    }
    const reversed = this.options.chaos?.outOfOrder?.(job.id) ?? false;
    if (!reversed) void this.notify('in_progress', job);
    const finish = () => this.later(this.options.jobMs, async () => {
      if (job.status !== 'in_progress') return;
      Object.assign(job, { status: 'completed', conclusion: 'success' });
      if (task) this.log(task, `Job ${job.name} completed with result: Succeeded`);
      await this.notify('completed', job);
      if (reversed) await this.notify('in_progress', job, { ...job, status: 'in_progress', conclusion: null });
      // An ephemeral runner is removed by GitHub after its job; then its process exits 0.
      this.github.runners.delete(runner.id);
      this.taskOfRunner.delete(runner.id);
      this.ecs.exitTask(taskArn, 0);
    });
    if (this.heldJobs) this.heldJobs.push(finish);
    else finish();
  }

  /** Sends the job's webhook (as `shown`, when it is delivered late and the job has moved on since). */
  private async notify(action: 'queued' | 'in_progress' | 'completed', job: SimJob, shown: SimJob = job): Promise<void> {
    this.pendingSends++;
    try {
      const payload = workflowJobPayload(action, this.github.repo, shown, this.options.installationId);
      const answer = await this.sender.send('workflow_job', payload);
      if (answer.status >= 300) this.options.onError(`webhook ${action} for job ${job.id} answered ${answer.status}`, answer.body);
      if (this.options.chaos?.redeliver?.(job.id)) {
        const again = await this.sender.send('workflow_job', payload, { deliveryId: answer.deliveryId });
        if (again.status >= 300) this.options.onError(`redelivery of ${action} for job ${job.id} answered ${again.status}`, again.body);
      }
    } catch (error) {
      this.options.onError(`webhook ${action} for job ${job.id} could not be sent`, error);
    } finally {
      this.pendingSends--;
    }
  }

  private later(ms: number, fn: () => void | Promise<void>): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void fn();
    }, ms);
    this.timers.add(timer);
  }
}

/** A job as GitHub holds it while it waits for a runner. */
function queuedJob(fields: { id: number; runId: number; runAttempt?: number; name?: string; workflowName?: string; labels: string[] }): SimJob {
  return {
    id: fields.id,
    runId: fields.runId,
    runAttempt: fields.runAttempt ?? 1,
    name: fields.name ?? 'build',
    workflowName: fields.workflowName ?? 'CI',
    labels: fields.labels,
    status: 'queued',
    conclusion: null,
    runnerName: null,
    runnerId: null,
    createdAt: new Date().toISOString(),
  };
}
