import { Args } from '@oclif/core';
import type { RunnerRecord } from '@runner-fleet/core';
import type { RunnerStore } from '@runner-fleet/core/store';
import { BaseCommand } from '../../base-command.js';
import { CliError, EXIT } from '../../errors.js';
import { describeTask, logLocation, type LogLocation, type TaskFacts } from '../../queries/task-facts.js';

/** `ecsrunner runners details --json`: the record, what ECS says of its task, and where its logs are. */
export interface RunnerDetailsResult {
  runner: RunnerRecord;
  /** Undefined when the runner has no task yet, or ECS no longer knows it. */
  task?: TaskFacts;
  taskKnownToEcs: boolean;
  logs?: LogLocation;
}

export default class RunnersDetails extends BaseCommand<typeof RunnersDetails> {
  static override summary = "Show one runner: its record, its task's live state, and where its logs are.";
  static override examples = ['<%= config.bin %> <%= command.id %> runner-fleet-14541957942', '<%= config.bin %> <%= command.id %> runner-fleet-14541957942 --json'];
  static override args = { runnerId: Args.string({ description: 'Runner id (<prefix>-<jobId>), as runners list shows it.', required: true }) };

  async run(): Promise<RunnerDetailsResult> {
    const runner = await findRunner(await this.fleet.store(), this.args.runnerId, this.fleet.tableName);
    const ecs = await this.fleet.ecs();
    const task = runner.taskArn ? await describeTask(ecs, runner.taskArn) : undefined;
    if (runner.taskArn && !process.env.RUNNER_LOG_GROUP) await this.fleet.resolve();
    const logs = runner.taskArn ? await logLocation(ecs, runner.taskArn, task?.taskDefinitionArn, process.env.RUNNER_LOG_GROUP ?? this.fleet.descriptor?.runnerLogGroup) : undefined;

    const rows: Array<[string, unknown]> = [
      ['Runner', runner.runnerId],
      ['Status', runner.status],
      ['Reason', runner.statusReason],
      ['Repository', runner.repo],
      ['Job', `${runner.jobId}${runner.jobName ? ` (${runner.jobName}${runner.workflowName ? `, ${runner.workflowName}` : ''})` : ''}`],
      ['Assigned job', runner.assignedJobId],
      ['Labels', runner.labels.join(', ')],
      ['Class', runner.runnerClass && `${runner.runnerClass} (${runner.cpu} CPU units, ${runner.memory} MiB${runner.spot ? ', spot' : ''})`],
      ['Conclusion', runner.conclusion],
      ['Created', runner.createdAt],
      ['Started', runner.startedAt],
      ['Finished', runner.finishedAt],
      ['Task', runner.taskArn ?? 'none yet'],
    ];
    if (task) {
      rows.push(
        ['Task status', `${task.lastStatus} (desired ${task.desiredStatus})`],
        ['Stopped', task.stoppedReason && `${task.stoppedReason}${task.stopCode ? ` [${task.stopCode}]` : ''}`],
        ['Exit code', task.exitCode],
        ['Task size', `${task.cpu} CPU units, ${task.memory} MiB on ${task.capacityProvider ?? 'FARGATE'}`],
      );
    } else if (runner.taskArn) {
      rows.push(['Task status', 'not known to ECS any more (stopped tasks are kept for about an hour)']);
    }
    if (logs) rows.push(['Logs', `${logs.group} ${logs.stream}  (ecsrunner runners logs ${runner.runnerId})`]);
    const width = Math.max(...rows.map(([k]) => k.length));
    for (const [key, value] of rows) if (value !== undefined && value !== '') this.log(`${key.padEnd(width)}  ${String(value)}`);
    return { runner, task, taskKnownToEcs: task !== undefined, logs };
  }
}

/** The runner's record, or a CliError that says how to find the right id. */
export async function findRunner(store: RunnerStore, runnerId: string, table: string): Promise<RunnerRecord> {
  const runner = await store.get(runnerId);
  if (!runner) throw new CliError(`Runner "${runnerId}" was not found in table ${table}. List runners with: ecsrunner runners list --all`, EXIT.runnerNotFound);
  return runner;
}
