/** ECS's TaskStopCode enum (botocore ecs service-2.json, shape TaskStopCode). */
export const TASK_STOP_CODES = ['TaskFailedToStart', 'EssentialContainerExited', 'UserInitiated', 'ServiceSchedulerInitiated', 'SpotInterruption', 'TerminationNotice'] as const;
export type TaskStopCode = (typeof TASK_STOP_CODES)[number];

/** What is known when a runner's task stopped. */
export interface StoppedTaskFacts {
  /** true: in_progress seen / assignedJobId; false: GitHub shows the job queued or on another runner; undefined: nobody knows. */
  tookJob: boolean | undefined;
  /** The runner container's exit code; absent when it never ran or ECS did not report one. */
  exitCode?: number;
  stopCode?: string;
  stoppedReason?: string;
  /** The record was already ended by the fleet (idle reap, terminate, timeout) before the stop. */
  fleetRequested: boolean;
}

export interface StoppedTaskOutcome {
  /** `keep`: the record's own (terminal) status stands. */
  status: 'completed' | 'failed' | 'keep';
  reason: string;
  /** The job still needs a runner (only when GitHub reports it queued). */
  relaunch: boolean;
  /** ECS could not pull the image: the image must no longer count as present. */
  imageMissing: boolean;
}

const ecsWhy = (facts: StoppedTaskFacts) =>
  `exit ${facts.exitCode ?? 'none'}, ECS: ${[facts.stopCode ?? 'no stop code', facts.stoppedReason].filter(Boolean).join(': ')}`;

/**
 * The end of a stopped task, decided from facts (DESIGN §4): the real run.sh maps the
 * listener's crash, session-conflict and unknown exit codes to 0, so exit 0 alone proves nothing.
 */
export function decideTaskOutcome(facts: StoppedTaskFacts): StoppedTaskOutcome {
  const imageMissing = facts.stopCode === 'TaskFailedToStart' && /CannotPullContainerError/i.test(facts.stoppedReason ?? '');
  if (facts.fleetRequested) return { status: 'keep', reason: 'the fleet asked for this stop', relaunch: false, imageMissing };
  if (facts.tookJob === true) {
    if (facts.exitCode === 0 && facts.stopCode !== 'SpotInterruption') return { status: 'completed', reason: 'task exited 0 after its job', relaunch: false, imageMissing };
    const what = facts.stopCode === 'SpotInterruption' ? 'Spot capacity was reclaimed during the job' : 'the runner failed during its job';
    return { status: 'failed', reason: `${what} (${ecsWhy(facts)})`, relaunch: false, imageMissing };
  }
  // No job taken (or nobody can tell): the job, if GitHub still holds it queued, needs another runner.
  return {
    status: 'failed',
    reason: `stopped before taking a job (${ecsWhy(facts)})${imageMissing ? '; the image could not be pulled and will be resolved again' : ''}`,
    relaunch: true,
    imageMissing,
  };
}
