import { isOurRunnerName, isTerminal, StaleRecordError, type RunnerStatus } from '@runner-fleet/core';
import type { Deps } from './ports.js';

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
    const result = await store.advance(runnerId, 'idle', (current) => ({
      taskArn: current.taskArn ?? detail.taskArn,
      startedAt: detail.startedAt ?? deps.now().toISOString(),
      statusReason: 'task running, runner waiting for a job',
    }));
    if (!result.changed) log.info('RUNNING not recorded', { reason: result.reason });
    return;
  }
  if (detail.lastStatus !== 'STOPPED') return;

  // Decide from the version the write is conditional on: a job can land on the runner meanwhile.
  let current = await store.get(runnerId);
  for (let attempt = 1; current && !isTerminal(current.status) && attempt <= 5; attempt++) {
    const container = detail.containers?.find((c) => c.name === config.runnerContainerName) ?? detail.containers?.[0];
    const exitCode = container?.exitCode;
    const tookJob = current.status === 'busy' || current.assignedJobId !== undefined;
    // A JIT runner exits 0 only after its one job, even when the job's webhook has not arrived yet.
    const to: RunnerStatus = exitCode === 0 ? 'completed' : 'failed';
    const why = [detail.stoppedReason ?? detail.stopCode ?? 'task stopped', container?.reason].filter(Boolean).join(': ');
    const statusReason =
      to === 'completed'
        ? `task exited 0 after job ${current.assignedJobId ?? current.jobId}`
        : `${why} (exit code ${exitCode ?? 'none'})${tookJob ? '' : ' before the runner took a job'}`;
    try {
      await store.transition(current, to, { statusReason, finishedAt: detail.stoppedAt ?? deps.now().toISOString() });
      log.info('task stopped', { recorded: to, exitCode });
      break;
    } catch (error) {
      if (!(error instanceof StaleRecordError)) throw error;
      current = await store.get(runnerId);
    }
  }
  if (!current) {
    log.warn('a task of this fleet stopped with no runner record');
    return;
  }
  if (isTerminal(current.status)) log.info('task stopped after its runner ended; nothing to record', { status: current.status });

  const neverTookJob = current.assignedJobId === undefined && current.status !== 'busy';
  if (neverTookJob && current.githubRunnerId) {
    const outcome = await deps.github.deleteRunner(current.githubRunnerId);
    log.info('removed the runner from GitHub', { githubRunnerId: current.githubRunnerId, outcome });
  }
}
