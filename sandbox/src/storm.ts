import { isActive, isTerminal, isWaitingForLaunch, type RunnerStatus } from '@runner-fleet/core';
import { maxInWindow } from './aws/ecs.js';
import { startSandbox } from './sandbox.js';

/** The storm of issue 6: many jobs at once, with GitHub's and ECS's faults, against a capped fleet. */
export interface StormOptions {
  jobs: number;
  /** All `queued` webhooks are sent within this time. */
  withinMs: number;
  maxRunners: number;
  /** Shares of jobs: every webhook redelivered; completed before in_progress; cancelled before pickup. */
  redeliveredShare: number;
  outOfOrderShare: number;
  cancelledShare: number;
  /** Every Nth RunTask call is throttled (10: 10 %). */
  throttleEvery: number;
  /** One capacity outage: starts this long after the first job, lasts `forMs`. */
  outage: { atMs: number; forMs: number };
  /** Simulated durations (SANDBOX_TASK_START_MS, SANDBOX_PICKUP_MS, SANDBOX_JOB_MS) and the housekeeping schedule. */
  taskStartMs: number;
  pickupMs: number;
  jobMs: number;
  housekeepingMs: number;
  idleTimeoutSeconds: number;
  /** Give up waiting for the fleet to drain after this long. */
  timeoutMs: number;
}

export interface StormResult {
  options: StormOptions;
  wallMs: number;
  drained: boolean;
  jobsSucceeded: number;
  jobsCancelled: number;
  /** Jobs GitHub ended otherwise (failure: the runner vanished mid-job), by conclusion. */
  jobsOtherwise: Record<string, number>;
  /** Jobs GitHub still holds as queued or in progress at the end: lost. */
  jobsLost: number;
  webhooksSent: number;
  tasksStarted: number;
  /** Runner ids with more than one task. */
  duplicateTasks: number;
  /** Tasks whose runner ran a job, and tasks whose runner ran none (its job was cancelled after launch; reaped idle). */
  tasksWithJob: number;
  tasksWithoutJob: number;
  runnersFailed: number;
  failureReasons: string[];
  maxActiveRunners: number;
  peakLiveTasks: number;
  nonTerminalRecords: number;
  orphanTasks: number;
  ghostRunners: number;
  runTaskCalls: number;
  runTaskThrottled: number;
  /** RunTask calls the simulated ECS refused for its rate quotas (SANDBOX_RUNTASK_*, SANDBOX_FARGATE_LAUNCH_*), and the most it accepted in any one second. */
  runTaskRateLimited: number;
  maxRunTasksPerSecond: number;
  /** GitHub requests the simulator refused for a rate limit, by kind. */
  githubRateLimited: { primary: number; secondary: number };
  launchesWithoutCapacity: number;
  queuedToStartingMs: number[];
  /** AWS and GitHub calls the control plane made, by operation. */
  calls: Record<string, number>;
  /** Slots the capacity ledger still holds at the end (0 when drained). */
  slotsHeld: number;
  /** A few records left not terminal, for diagnosis. */
  stuck: Array<{ runnerId: string; status: string; statusReason?: string; retryAt?: string }>;
  problems: string[];
}

/** Deterministic "random" selection of a share of jobs, by index, spread evenly. */
const picks = (share: number, salt: number) => (index: number) => share > 0 && Math.floor((index + salt) * share) !== Math.floor((index + salt - 1) * share);

export async function runStorm(options: StormOptions): Promise<StormResult> {
  const problems: string[] = [];
  const jobIndex = new Map<number, number>();
  const redelivered = picks(options.redeliveredShare, 0);
  const outOfOrder = picks(options.outOfOrderShare, 3);
  const cancelled = picks(options.cancelledShare, 7);
  const sandbox = await startSandbox({
    env: {
      PORT: '0',
      MAX_RUNNERS: String(options.maxRunners),
      SANDBOX_TASK_START_MS: String(options.taskStartMs),
      SANDBOX_PICKUP_MS: String(options.pickupMs),
      SANDBOX_JOB_MS: String(options.jobMs),
      SANDBOX_HOUSEKEEPING_MS: String(options.housekeepingMs),
      IDLE_TIMEOUT_SECONDS: String(options.idleTimeoutSeconds),
    },
    logLevel: 'SILENT',
    onError: (message) => problems.push(message),
    chaos: {
      redeliver: (jobId) => redelivered(jobIndex.get(jobId) ?? -1),
      outOfOrder: (jobId) => outOfOrder(jobIndex.get(jobId) ?? -1),
    },
  });

  const statusOf = new Map<string, RunnerStatus>();
  const startingSeen = new Set<string>();
  const queuedToStartingMs: number[] = [];
  let active = 0;
  let maxActiveRunners = 0;
  sandbox.onRecordWrite((record) => {
    const before = statusOf.get(record.runnerId);
    statusOf.set(record.runnerId, record.status);
    active += (isActive(record.status) ? 1 : 0) - (before && isActive(before) ? 1 : 0);
    maxActiveRunners = Math.max(maxActiveRunners, active);
    if (!isWaitingForLaunch(record.status) && !isTerminal(record.status) && !startingSeen.has(record.runnerId)) {
      startingSeen.add(record.runnerId);
      queuedToStartingMs.push(Date.now() - Date.parse(record.createdAt));
    }
  });
  let peakLiveTasks = 0;
  const sampler = setInterval(() => (peakLiveTasks = Math.max(peakLiveTasks, sandbox.ecs.liveTasks().length)), 50);
  sandbox.ecs.faults.runTaskThrottleEvery = options.throttleEvery;

  const started = Date.now();
  const outage = setTimeout(() => (sandbox.ecs.faults.capacityOutageUntil = Date.now() + options.outage.forMs), options.outage.atMs);
  const sends: Array<Promise<unknown>> = [];
  for (let index = 0; index < options.jobs; index++) {
    const due = started + (index * options.withinMs) / options.jobs;
    if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    sends.push(
      (async () => {
        const job = await sandbox.autopilot.queueJob(['self-hosted', 'class:small'], { name: `storm ${index}` });
        jobIndex.set(job.id, index);
        if (cancelled(index)) await sandbox.autopilot.cancelJob(job.id);
      })(),
    );
  }
  await Promise.all(sends);

  // Drained: every job ended on GitHub, every record is terminal, no task runs, no runner is registered.
  let drained = false;
  while (Date.now() - started < options.timeoutMs) {
    const jobs = [...sandbox.github.jobs.values()];
    const openRecords = [...statusOf.values()].filter((s) => !isTerminal(s)).length;
    if (jobs.every((j) => j.status === 'completed') && openRecords === 0 && sandbox.ecs.liveTasks().length === 0 && sandbox.github.runners.size === 0) {
      drained = true;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const wallMs = Date.now() - started;
  clearInterval(sampler);
  clearTimeout(outage);

  const records = await sandbox.allRecords();
  const tasksByRunner = new Map<string, number>();
  for (const task of sandbox.ecs.tasks.values()) tasksByRunner.set(task.startedBy ?? '', (tasksByRunner.get(task.startedBy ?? '') ?? 0) + 1);
  const jobs = [...sandbox.github.jobs.values()];
  const failed = records.filter((r) => r.status === 'failed');
  const byId = new Map(records.map((r) => [r.runnerId, r]));
  const result: StormResult = {
    options,
    wallMs,
    drained,
    jobsSucceeded: jobs.filter((j) => j.conclusion === 'success').length,
    jobsCancelled: jobs.filter((j) => j.conclusion === 'cancelled').length,
    jobsOtherwise: jobs.filter((j) => j.status === 'completed' && j.conclusion !== 'success' && j.conclusion !== 'cancelled').reduce<Record<string, number>>((byConclusion, j) => ({ ...byConclusion, [j.conclusion ?? 'none']: (byConclusion[j.conclusion ?? 'none'] ?? 0) + 1 }), {}),
    jobsLost: jobs.filter((j) => j.status !== 'completed').length,
    webhooksSent: sandbox.webhooks.sent,
    tasksStarted: sandbox.ecs.tasksStarted,
    duplicateTasks: [...tasksByRunner.values()].filter((n) => n > 1).length,
    tasksWithJob: [...sandbox.ecs.tasks.values()].filter((t) => byId.get(t.startedBy ?? '')?.assignedJobId !== undefined).length,
    tasksWithoutJob: [...sandbox.ecs.tasks.values()].filter((t) => byId.get(t.startedBy ?? '')?.assignedJobId === undefined).length,
    runnersFailed: failed.length,
    failureReasons: [...new Set(failed.map((r) => r.statusReason ?? ''))],
    maxActiveRunners,
    peakLiveTasks,
    nonTerminalRecords: records.filter((r) => !isTerminal(r.status)).length,
    orphanTasks: sandbox.ecs.liveTasks().length,
    ghostRunners: sandbox.github.runners.size,
    runTaskCalls: sandbox.ecs.runTaskCalls,
    runTaskThrottled: sandbox.ecs.runTaskThrottled,
    runTaskRateLimited: sandbox.ecs.runTaskRateLimited,
    maxRunTasksPerSecond: maxInWindow(sandbox.ecs.acceptedRunTasks, 1000),
    githubRateLimited: { ...sandbox.github.rateLimited },
    launchesWithoutCapacity: sandbox.metrics.total('LaunchFailures', 'capacity'),
    queuedToStartingMs,
    slotsHeld: (await sandbox.store.capacity.holders()).size,
    calls: { ...sandbox.awsCalls, ...Object.fromEntries(Object.entries(sandbox.github.calls).map(([k, v]) => [`GitHub ${k}`, v])) },
    stuck: records.filter((r) => !isTerminal(r.status)).slice(0, 5).map(({ runnerId, status, statusReason, retryAt }) => ({ runnerId, status, statusReason, retryAt })),
    problems,
  };
  await sandbox.stop();
  return result;
}
