import { Flags } from '@oclif/core';
import { ALL_STATUSES, type RunnerRecord, type RunnerStatus } from '@runner-fleet/core';
import { BaseCommand } from '../../base-command.js';
import { age, parseDuration } from '../../duration.js';
import { CliError, EXIT } from '../../errors.js';
import { colourEnabled, paintStatus } from '../../output/colour.js';
import { renderTable, type Column } from '../../output/table.js';
import { watch } from '../../output/watch.js';
import { decodeCursor, encodeCursor, listRunners, LIVE_STATUSES, type ListOptions } from '../../queries/list-runners.js';
import { taskIdOf } from '../../queries/task-facts.js';

/** `ecsrunner runners list --json`: the matching records (DESIGN §4), newest first. */
export interface RunnersListResult {
  runners: RunnerRecord[];
  count: number;
  /** More runners match than were returned; `nextToken` continues after the last one. */
  truncated: boolean;
  /** Pass as --starting-token for the next page. */
  nextToken?: string;
}

const DEFAULT_LIMIT = 50;
const DEFAULT_INTERVAL = '5s';

const COLUMNS: Array<Column<{ r: RunnerRecord; now: Date }>> = [
  { header: 'Runner', value: ({ r }) => r.runnerId },
  { header: 'Status', value: ({ r }) => r.status, paint: (text, { r }) => paintStatus(text, r.status) },
  { header: 'Class', value: ({ r }) => r.runnerClass ?? '' },
  { header: 'Repo', value: ({ r }) => r.repo },
  { header: 'Job', value: ({ r }) => String(r.assignedJobId ?? r.jobId) },
  { header: 'Age', value: ({ r, now }) => age(r.createdAt, now) },
  { header: 'Task', value: ({ r }) => (r.taskArn ? taskIdOf(r.taskArn) : '') },
];

export default class RunnersList extends BaseCommand<typeof RunnersList> {
  static override summary = 'List live runners, newest first; with --all, --status or --since, the history too.';
  static override description = `Without filters, the live runners: queued, image_building, starting, idle and busy. Every listing queries the status index, one query per status, reading only the records it shows, so it costs the same whatever history the table holds. --all adds the finished runners (completed, failed, cancelled, terminated) of any age; --since alone lists every status created in that window. At most --limit runners are shown; when more match, the output says how to ask for the next page (--starting-token). --watch redraws the listing every --interval until Ctrl-C (with --json, one JSON line per refresh).`;
  static override examples = [
    { description: 'What is live now', command: '<%= config.bin %> <%= command.id %>' },
    { description: 'Follow a storm', command: '<%= config.bin %> <%= command.id %> --watch --interval 2s' },
    { description: 'Failures of the last two hours in one repository', command: '<%= config.bin %> <%= command.id %> --status failed --since 2h --repo octo-org/octo-repo' },
    { description: 'The whole history for a script, 500 at a time', command: '<%= config.bin %> <%= command.id %> --all --limit 500 --json' },
  ];

  static override flags = {
    status: Flags.string({ char: 's', description: 'Only runners with this status (repeatable).', multiple: true, options: [...ALL_STATUSES] }),
    repo: Flags.string({ char: 'r', description: 'Only runners of this repository (owner/name).' }),
    since: Flags.string({ description: 'Only runners created within this long (e.g. 30m, 2h, 7d); without --status, of every status.' }),
    limit: Flags.integer({ char: 'n', description: `Show at most this many (default ${DEFAULT_LIMIT}).`, min: 1, max: 10_000 }),
    all: Flags.boolean({ char: 'a', description: 'Every status, finished runners of any age included.' }),
    'starting-token': Flags.string({ description: 'Continue after the last runner of a previous page (the token it printed).', exclusive: ['watch'] }),
    watch: Flags.boolean({ char: 'w', description: 'Refresh the listing until Ctrl-C (in place on a terminal).' }),
    interval: Flags.string({ description: `Time between refreshes with --watch (default ${DEFAULT_INTERVAL}; e.g. 2s, 1m).`, dependsOn: ['watch'] }),
  };

  async run(): Promise<RunnersListResult | undefined> {
    const options = this.listOptions();
    if (!this.flags.watch) {
      const result = await this.list(options);
      if (!this.jsonEnabled()) this.log(this.render(result, options, new Date()));
      return result;
    }

    const intervalText = this.flags.interval ?? DEFAULT_INTERVAL;
    const intervalMs = parseDuration(intervalText);
    if (intervalMs === undefined || intervalMs < 1000) {
      throw new CliError(`--interval "${intervalText}" is not a duration of at least 1s; use a number and a unit: 2s, 30s, 1m.`, EXIT.usage);
    }
    const stop = new AbortController();
    const end = () => stop.abort();
    process.once('SIGINT', end);
    process.once('SIGTERM', end);
    const json = this.jsonEnabled();
    const inPlace = !json && process.stdout.isTTY === true;
    try {
      await watch(
        async () => {
          const result = await this.list(options);
          const now = new Date();
          if (json) return JSON.stringify(result);
          return `Every ${intervalText}: ecsrunner ${this.id?.replace(':', ' ') ?? 'runners list'}   ${now.toISOString()}\n${this.render(result, options, now)}`;
        },
        { intervalMs, inPlace, signal: stop.signal, write: (text) => process.stdout.write(text) },
      );
    } finally {
      process.off('SIGINT', end);
      process.off('SIGTERM', end);
    }
    return undefined;
  }

  /** The flags as a listing, or a usage error that says what to write instead. */
  private listOptions(): ListOptions {
    const { flags } = this;
    const sinceMs = flags.since === undefined ? undefined : parseDuration(flags.since);
    if (flags.since !== undefined && sinceMs === undefined) {
      throw new CliError(`--since "${flags.since}" is not a duration; use a number and a unit: 90s, 30m, 2h, 7d or 1w.`, EXIT.usage);
    }
    const token = flags['starting-token'];
    const after = token === undefined ? undefined : decodeCursor(token);
    if (token !== undefined && !after) {
      throw new CliError(`--starting-token "${token.slice(0, 80)}" is not a token runners list printed; copy it from the line "more match" of the previous page.`, EXIT.usage);
    }
    const statuses = flags.status ? [...new Set(flags.status as RunnerStatus[])] : flags.all || sinceMs !== undefined ? ALL_STATUSES : LIVE_STATUSES;
    return {
      statuses,
      repo: flags.repo,
      since: sinceMs === undefined ? undefined : new Date(Date.now() - sinceMs),
      limit: flags.limit ?? DEFAULT_LIMIT,
      after,
    };
  }

  private async list(options: ListOptions): Promise<RunnersListResult> {
    const outcome = await listRunners(await this.fleet.store(), options);
    return {
      runners: outcome.runners,
      count: outcome.runners.length,
      truncated: outcome.truncated,
      ...(outcome.next ? { nextToken: encodeCursor(outcome.next) } : {}),
    };
  }

  private render(result: RunnersListResult, options: ListOptions, now: Date): string {
    if (result.count === 0) {
      if (options.statuses === LIVE_STATUSES && !options.repo) return 'No live runners (queued, image_building, starting, idle or busy). For finished ones: --all, --since 1d or --status completed.';
      return 'No runners match.';
    }
    // A terminal that reports no size (a bare pseudo-terminal says 0 columns) gets whole lines.
    const columns = process.stdout.isTTY === true ? process.stdout.columns : 0;
    const lines = [renderTable(result.runners.map((r) => ({ r, now })), COLUMNS, { colour: colourEnabled(process.stdout), width: columns > 0 ? columns : undefined })];
    if (result.nextToken) lines.push(`Showing the newest ${result.count}; more match. Next page: --starting-token ${result.nextToken} (or raise --limit).`);
    return lines.join('\n');
  }
}
