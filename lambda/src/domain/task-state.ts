import { isOurRunnerName, type RunnerRecord } from '@runner-fleet/core';
import { fillFreeSlots } from './capacity.js';
import type { Deps } from './ports.js';

/** Every way to busy sets assignedJobId (in_progress names the job), so it alone says a job was taken. */
const tookJob = (record: RunnerRecord) => record.assignedJobId !== undefined;

/** The fields of an ECS Task State Change event's detail that the control plane reads. */
export interface TaskStateDetail {
  taskArn: string;
  lastStatus: string;
  startedBy?: string;
  startedAt?: string;
  stoppedAt?: string;
  stoppedReason?: string;
  stopCode?: string;
  containers?: Array<{ name?: string; exitCode?: number; reason?: string }>;
}

/**
 * RUNNING → idle; STOPPED → completed (exit 0: a JIT runner exits cleanly
 * only after its job) or failed (with ECS's reason and the exit code). A runner that stopped without taking
 * a job is removed from GitHub, so no offline ghost stays registered.
 */
export async function onTaskStateChange(detail: TaskStateDetail, deps: Deps): Promise<void> {
  const { config, store, log } = deps;
  const runnerId = detail.startedBy;
  if (!isOurRunnerName(config.runnerNamePrefix, runnerId)) {
    log.debug('task was not started by this fleet', { taskArn: detail.taskArn });
    return;
  }
  log.appendKeys({ runnerId, taskArn: detail.taskArn, lastStatus: detail.lastStatus });

  if (detail.lastStatus === 'RUNNING') {
    let startingSince: string | undefined;
    const result = await store.advance(runnerId, 'idle', (current) => {
      startingSince = current.status === 'starting' ? current.updatedAt : undefined;
      return {
        taskArn: current.taskArn ?? detail.taskArn,
        startedAt: detail.startedAt ?? deps.now().toISOString(),
        statusReason: 'task running, runner waiting for a job',
      };
    });
    if (!result.changed) log.info('RUNNING not recorded', { reason: result.reason });
    else if (startingSince) deps.metrics.seconds('StartingToIdleSeconds', (Date.parse(result.record.updatedAt) - Date.parse(startingSince)) / 1000);
    return;
  }
  if (detail.lastStatus !== 'STOPPED') return;

  // Decided from the version the write is conditional on: a job can land on the runner meanwhile.
  const container = detail.containers?.find((c) => c.name === config.runnerContainerName) ?? detail.containers?.[0];
  const exitCode = container?.exitCode;
  const why = [detail.stoppedReason ?? detail.stopCode ?? 'task stopped', container?.reason].filter(Boolean).join(': ');
  const result = await store.advance(
    runnerId,
    // A JIT runner exits 0 only after its one job, even when the job's webhook has not arrived yet.
    () => (exitCode === 0 ? 'completed' : 'failed'),
    (current, to) => ({
      statusReason:
        to === 'completed'
          ? `task exited 0 after job ${current.assignedJobId ?? current.jobId}`
          : `${why} (exit code ${exitCode ?? 'none'})${tookJob(current) ? '' : ' before the runner took a job'}`,
      finishedAt: detail.stoppedAt ?? deps.now().toISOString(),
    }),
  );
  const current = result.record;
  if (!current) {
    log.warn('a task of this fleet stopped with no runner record');
    return;
  }
  log.info('task stopped', result.changed ? { recorded: current.status, exitCode } : { unchanged: result.reason });

  if (!tookJob(current) && current.githubRunnerId) {
    const outcome = await deps.github.deleteRunner(current.githubRunnerId);
    log.info('removed the runner from GitHub', { githubRunnerId: current.githubRunnerId, outcome });
  }
  // The runner's end freed its slot (here, or by an operator's terminate): the longest-waiting job takes it.
  // A runner whose completed webhook ended it first was followed by a fill there already.
  if (result.changed || current.status === 'terminated') await fillFreeSlots(deps);
}
