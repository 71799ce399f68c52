import { Args, Flags } from '@oclif/core';
import { isTerminal } from '@runner-fleet/core';
import { BaseCommand } from '../../base-command.js';
import { CliError, EXIT } from '../../errors.js';
import { describeTask, logLocation, type LogLocation } from '../../queries/task-facts.js';
import { findRunner } from './details.js';

/** `ecsrunner runners logs --json`: the log events read. */
export interface RunnerLogsResult {
  runnerId: string;
  logs: LogLocation;
  events: Array<{ timestamp: string; message: string }>;
}

export default class RunnersLogs extends BaseCommand<typeof RunnersLogs> {
  static override summary = "Print a runner's CloudWatch log stream.";
  static override description = 'Reads the stream the awslogs driver writes for the runner\'s task. With --follow, keeps printing new lines until the runner finishes (or Ctrl-C). For tasks ECS has forgotten, the log group comes from RUNNER_LOG_GROUP.';
  static override examples = ['<%= config.bin %> <%= command.id %> runner-fleet-14541957942', '<%= config.bin %> <%= command.id %> runner-fleet-14541957942 --follow'];
  static override args = { runnerId: Args.string({ description: 'Runner id (<prefix>-<jobId>).', required: true }) };
  static override flags = {
    follow: Flags.boolean({ char: 'f', description: 'Keep printing new lines until the runner finishes.' }),
    'poll-interval': Flags.integer({ description: 'Seconds between reads with --follow.', default: 2, min: 1, hidden: true }),
    'log-group': Flags.string({ description: 'Log group of the runner tasks (for tasks ECS no longer knows).', env: 'RUNNER_LOG_GROUP', helpGroup: 'FLEET' }),
  };

  async run(): Promise<RunnerLogsResult> {
    const store = await this.fleet.store();
    let runner = await findRunner(store, this.args.runnerId, this.fleet.tableName);
    if (!runner.taskArn) throw new CliError(`Runner ${runner.runnerId} has no task yet (${runner.status}); there are no logs to read.`, EXIT.noTask);
    const ecs = await this.fleet.ecs();
    const task = await describeTask(ecs, runner.taskArn);
    if (!this.flags['log-group']) await this.fleet.resolve();
    const logs = await logLocation(ecs, runner.taskArn, task?.taskDefinitionArn, this.flags['log-group'] ?? this.fleet.descriptor?.runnerLogGroup);
    if (!logs) throw new CliError(`ECS no longer knows task ${runner.taskArn}; set RUNNER_LOG_GROUP (or --log-group) to read its logs.`, EXIT.noTask);

    const [logsClient, { GetLogEventsCommand }] = await Promise.all([this.fleet.logs(), import('@aws-sdk/client-cloudwatch-logs')]);
    const events: RunnerLogsResult['events'] = [];
    let token: string | undefined;
    for (;;) {
      let page;
      try {
        page = await logsClient.send(new GetLogEventsCommand({ logGroupName: logs.group, logStreamName: logs.stream, startFromHead: true, nextToken: token }));
      } catch (error) {
        if ((error as { name?: string }).name !== 'ResourceNotFoundException') throw error;
        page = undefined; // the stream appears once the container writes its first line
      }
      for (const e of page?.events ?? []) {
        const event = { timestamp: new Date(e.timestamp ?? 0).toISOString(), message: e.message ?? '' };
        events.push(event);
        if (!this.jsonEnabled()) this.log(`${event.timestamp}  ${event.message}`);
      }
      const caughtUp = !page || page.nextForwardToken === token || (page.events ?? []).length === 0;
      token = page?.nextForwardToken ?? token;
      if (!caughtUp) continue;
      if (!this.flags.follow) break;
      runner = (await store.get(runner.runnerId)) ?? runner;
      if (isTerminal(runner.status)) break;
      await new Promise((resolve) => setTimeout(resolve, this.flags['poll-interval'] * 1000));
    }
    if (events.length === 0 && !this.jsonEnabled()) this.log(`No log lines yet in ${logs.group} ${logs.stream}.`);
    return { runnerId: runner.runnerId, logs, events };
  }
}
