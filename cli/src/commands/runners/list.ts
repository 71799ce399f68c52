import { Flags } from '@oclif/core';
import { ALL_STATUSES, type RunnerRecord, type RunnerStatus } from '@runner-fleet/core';
import { BaseCommand } from '../../base-command.js';
import { age, parseDuration } from '../../duration.js';
import { CliError, EXIT } from '../../errors.js';
import { listRunners } from '../../queries/list-runners.js';
import { taskIdOf } from '../../queries/task-facts.js';

/** `ecsrunner runners list --json`: the matching records (DESIGN §4), newest first. */
export interface RunnersListResult {
  runners: RunnerRecord[];
  count: number;
  /** More runners match than were returned; raise --limit to see them. */
  truncated: boolean;
}

export default class RunnersList extends BaseCommand<typeof RunnersList> {
  static override printsTable = true;
  static override summary = 'List runners, newest first.';
  static override description = `Reads the runner records in DynamoDB. Filtering by --status queries the status index; a limited listing never reads the whole table. Terminal runners (completed, failed, cancelled, terminated) that ended more than 24 hours ago are hidden unless --all is given.`;
  static override examples = [
    { description: 'What is running now', command: '<%= config.bin %> <%= command.id %> --status busy --status idle' },
    { description: 'Failures of the last two hours in one repository', command: '<%= config.bin %> <%= command.id %> --status failed --since 2h --repo octo-org/octo-repo' },
    { description: 'Everything, for a script', command: '<%= config.bin %> <%= command.id %> --all --json' },
  ];

  static override flags = {
    status: Flags.string({ char: 's', description: 'Only runners with this status (repeatable).', multiple: true, options: [...ALL_STATUSES] }),
    repo: Flags.string({ char: 'r', description: 'Only runners of this repository (owner/name).' }),
    since: Flags.string({ description: 'Only runners created within this long (e.g. 30m, 2h, 7d).' }),
    limit: Flags.integer({ char: 'n', description: 'Show at most this many (default 50; with --all, no limit).', min: 1 }),
    all: Flags.boolean({ char: 'a', description: 'Include terminal runners of any age, and list every match unless --limit is given.' }),
  };

  async run(): Promise<RunnersListResult> {
    const { flags } = this;
    const sinceMs = flags.since === undefined ? undefined : parseDuration(flags.since);
    if (flags.since !== undefined && sinceMs === undefined) {
      throw new CliError(`--since "${flags.since}" is not a duration; use a number and a unit: 90s, 30m, 2h, 7d or 1w.`, EXIT.usage);
    }
    const now = new Date();
    const limit = flags.limit ?? (flags.all ? undefined : 50);
    const outcome = await listRunners(await this.fleet.store(), {
      statuses: flags.status as RunnerStatus[] | undefined,
      repo: flags.repo,
      since: sinceMs === undefined ? undefined : new Date(now.getTime() - sinceMs),
      limit,
      includeOldTerminal: flags.all,
      now,
    });

    if (outcome.runners.length === 0) {
      this.log(flags.all ? 'No runners match.' : 'No runners match. Terminal runners older than 24 h are hidden; add --all to see them.');
    } else {
      await this.table({
        data: outcome.runners.map((r) => ({
          runner: r.runnerId,
          status: r.status,
          class: r.runnerClass ?? '',
          repo: r.repo,
          job: String(r.assignedJobId ?? r.jobId),
          age: age(r.createdAt, now),
          task: r.taskArn ? taskIdOf(r.taskArn) : '',
        })),
        columns: ['runner', 'status', 'class', 'repo', 'job', 'age', 'task'],
        headerOptions: { formatter: 'capitalCase' },
          overflow: 'truncate',
      });
      if (outcome.truncated) this.log(`Showing the newest ${outcome.runners.length}; more match (raise --limit, or --all).`);
    }
    return { runners: outcome.runners, count: outcome.runners.length, truncated: outcome.truncated };
  }
}
