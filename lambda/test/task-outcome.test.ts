import { describe, expect, it } from '@jest/globals';
import { decideTaskOutcome, TASK_STOP_CODES, type StoppedTaskFacts } from '../src/domain/task-outcome.js';

const EXIT_CODES = [0, 1, 7, undefined] as const;
const TOOK_JOB = [true, false, undefined] as const;
const PULL_FAILURE = 'CannotPullContainerError: pull image manifest has been retried 5 time(s): not found';

/** The expected status of every row, written independently of the implementation. */
function expectedStatus(f: StoppedTaskFacts): 'completed' | 'failed' | 'keep' {
  if (f.fleetRequested) return 'keep';
  if (f.tookJob === true && f.exitCode === 0 && f.stopCode !== 'SpotInterruption') return 'completed';
  return 'failed';
}

const rows: StoppedTaskFacts[] = [];
for (const fleetRequested of [false, true])
  for (const tookJob of TOOK_JOB)
    for (const exitCode of EXIT_CODES)
      for (const stopCode of [...TASK_STOP_CODES, undefined])
        rows.push({ fleetRequested, tookJob, exitCode, stopCode, stoppedReason: stopCode === 'TaskFailedToStart' ? PULL_FAILURE : 'Essential container in task exited' });

describe('the outcome of a stopped task', () => {
  it.each(rows.map((r) => [`fleet=${r.fleetRequested} job=${r.tookJob} exit=${r.exitCode} ${r.stopCode}`, r] as const))('%s', (_, facts) => {
    const outcome = decideTaskOutcome(facts);
    expect(outcome.status).toBe(expectedStatus(facts));
    expect(outcome.relaunch).toBe(!facts.fleetRequested && facts.tookJob !== true);
    expect(outcome.imageMissing).toBe(facts.stopCode === 'TaskFailedToStart');
  });

  it('covers every stop code in botocore\'s ECS model', () => {
    expect([...TASK_STOP_CODES].sort()).toEqual(['EssentialContainerExited', 'ServiceSchedulerInitiated', 'SpotInterruption', 'TaskFailedToStart', 'TerminationNotice', 'UserInitiated']);
  });

  it('says a runner stopped before taking a job, with the exit code and ECS reason, even after exit 0', () => {
    const outcome = decideTaskOutcome({ tookJob: false, exitCode: 0, stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited', fleetRequested: false });
    expect(outcome).toEqual({ status: 'failed', reason: 'stopped before taking a job (exit 0, ECS: EssentialContainerExited: Essential container in task exited)', relaunch: true, imageMissing: false });
  });

  it('names a Spot interruption during a job', () => {
    const outcome = decideTaskOutcome({ tookJob: true, exitCode: 0, stopCode: 'SpotInterruption', stoppedReason: 'Your Spot Task was interrupted.', fleetRequested: false });
    expect(outcome.reason).toBe('Spot capacity was reclaimed during the job (exit 0, ECS: SpotInterruption: Your Spot Task was interrupted.)');
  });

  it('invalidates the image only for a pull failure, not for any start failure', () => {
    expect(decideTaskOutcome({ tookJob: undefined, stopCode: 'TaskFailedToStart', stoppedReason: PULL_FAILURE, fleetRequested: false })).toMatchObject({ status: 'failed', relaunch: true, imageMissing: true });
    expect(decideTaskOutcome({ tookJob: undefined, stopCode: 'TaskFailedToStart', stoppedReason: 'ResourceInitializationError: unable to pull secrets', fleetRequested: false }).imageMissing).toBe(false);
  });
});
