import { Flags } from '@oclif/core';
import { readFile } from 'node:fs/promises';
import { billRecord, type BilledRun } from '../cost/billing.js';
import { GROUPINGS, summarize, type CostGroup, type Grouping } from '../cost/grouping.js';
import { DEFAULT_PRICES, mergePrices, PricesFileError, type PriceTable } from '../cost/prices.js';
import { recordsSince } from '../cost/read-records.js';
import { BaseCommand } from '../base-command.js';
import { parseDuration } from '../duration.js';
import { CliError, EXIT } from '../errors.js';
import type { RunnerRecord } from '@runner-fleet/core';

/** `ecsrunner cost --json`: Fargate cost per group of the runners created in the window, and GitHub-hosted's price for the same minutes. */
export interface CostResult {
  since: string;
  until: string;
  by: Grouping;
  prices: PriceTable & { source: string };
  groups: CostGroup[];
  total: CostGroup;
  /** Runners that had a task but whose records lack what billing needs (e.g. written before these fields existed, or a task that never started). */
  withoutBillingFacts: number;
  /** DynamoDB requests the report made (queries of the status index). */
  requests: number;
}

export default class Cost extends BaseCommand<typeof Cost> {
  static override printsTable = true;
  static override summary = 'What the fleet cost on Fargate, per repository, class, workflow or day, against GitHub-hosted runners.';
  static override description = `Prices the runners created within --since from their records: Fargate bills from the image pull to the task's stop, per second with a one-minute minimum, for the task's vCPU and memory at its architecture's price; Fargate Spot at an estimated discount; ephemeral storage above the free 20 GiB. The same minutes, rounded up per job, are priced on the GitHub-hosted Linux runner with at least as many cores. Defaults are us-east-1 list prices of the date printed; --prices FILE (JSON) or the flags override them. Reads one status-index query per status and page (the window's records only), never the whole table.`;
  static override examples = [
    { description: 'The last 7 days by repository', command: '<%= config.bin %> <%= command.id %>' },
    { description: 'Yesterday and today by class, for a script', command: '<%= config.bin %> <%= command.id %> --since 2d --by class --json' },
    { description: 'With your region\'s prices and the Spot discount you see', command: '<%= config.bin %> <%= command.id %> --prices prices.json --spot-discount 0.65' },
  ];

  static override flags = {
    since: Flags.string({ description: 'Runners created within this long (e.g. 24h, 7d, 4w).', default: '7d' }),
    by: Flags.string({ description: 'Group by this.', options: [...GROUPINGS], default: 'repo' }),
    prices: Flags.string({ description: 'JSON file with prices overriding the defaults (any part of: asOf, region, fargate.{X86_64,ARM64}.{vcpuHour,gbHour}, ephemeralStorageGbHour, spotDiscount, github.{X86_64,ARM64}.{cores: perMinute}).' }),
    'spot-discount': Flags.string({ description: 'Fargate Spot\'s discount on vCPU and memory as a fraction (default 0.7, AWS\'s "up to 70 %").' }),
  };

  async run(): Promise<CostResult> {
    const { flags } = this;
    const windowMs = parseDuration(flags.since);
    if (windowMs === undefined || windowMs === 0) throw new CliError(`--since "${flags.since}" is not a duration; use a number and a unit: 90s, 30m, 24h, 7d or 4w.`, EXIT.usage);
    const prices = await this.priceTable();
    const now = new Date();
    const since = new Date(now.getTime() - windowMs);
    const by = flags.by as Grouping;

    const { records, requests } = await recordsSince(await this.fleet.store(), since);
    const billed: Array<{ record: RunnerRecord; run: BilledRun }> = [];
    let withoutBillingFacts = 0;
    for (const record of records) {
      const billing = billRecord(record, prices, now);
      if (billing.kind === 'billed') billed.push({ record, run: billing.run });
      else if (billing.kind === 'no-billing-facts') withoutBillingFacts++;
    }
    const { groups, total } = summarize(billed, by);
    const result: CostResult = { since: since.toISOString(), until: now.toISOString(), by, prices, groups: groups.map(rounded), total: rounded(total), withoutBillingFacts, requests };
    await this.report(result);
    return result;
  }

  private async priceTable(): Promise<PriceTable & { source: string }> {
    let prices = DEFAULT_PRICES;
    let source = `defaults: ${DEFAULT_PRICES.region} list prices of ${DEFAULT_PRICES.asOf}`;
    const file = this.flags.prices;
    if (file) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(await readFile(file, 'utf8'));
      } catch (error) {
        throw new CliError(`--prices ${file}: ${(error as Error).message}. Give a JSON file such as {"fargate":{"X86_64":{"vcpuHour":0.04656}}}.`, EXIT.usage);
      }
      try {
        prices = mergePrices(prices, parsed, `--prices ${file}`);
      } catch (error) {
        if (error instanceof PricesFileError) throw new CliError(`${error.message}. Fix the file; anything left out keeps its default.`, EXIT.usage);
        throw error;
      }
      source = `${file} over the defaults of ${DEFAULT_PRICES.asOf}`;
    }
    const discount = this.flags['spot-discount'];
    if (discount !== undefined) {
      const value = Number(discount);
      if (discount.trim() === '' || !Number.isFinite(value) || value < 0 || value >= 1) {
        throw new CliError(`--spot-discount "${discount}" must be a fraction from 0 to below 1, e.g. 0.7 for 70 % off.`, EXIT.usage);
      }
      prices = { ...prices, spotDiscount: value };
    }
    return { ...prices, source };
  }

  private async report(result: CostResult): Promise<void> {
    const { prices, total } = result;
    this.log(`Fargate cost of the runners created ${result.since.slice(0, 16).replace('T', ' ')} – ${result.until.slice(0, 16).replace('T', ' ')} UTC, by ${result.by}`);
    this.log(`Prices: ${prices.source}; Spot estimated at ${Math.round(prices.spotDiscount * 100)} % off; GitHub-hosted Linux per minute from 2026-01-01.`);
    if (total.runners === 0) {
      this.log('No runner with a task was created in this window.');
    } else {
      const row = (g: CostGroup) => ({
        [result.by]: g.key,
        runners: String(g.runners) + (g.running ? ` (${g.running} running)` : ''),
        minutes: g.billedMinutes.toFixed(1),
        'vCPU-h': g.vcpuHours.toFixed(2),
        fargate: usd(g.fargateUsd),
        'github-hosted': usd(g.githubUsd),
        saved: usd(g.githubUsd - g.fargateUsd),
      });
      await this.table({ data: [...result.groups.map(row), row(total)], columns: [result.by, 'runners', 'minutes', 'vCPU-h', 'fargate', 'github-hosted', 'saved'], overflow: 'truncate' });
    }
    if (result.withoutBillingFacts > 0) this.log(`${result.withoutBillingFacts} runner(s) had a task but no billing times recorded (older records, or a task that never started); not priced.`);
    this.log(`Estimate from list prices: AWS's bill (Cost Explorer) is the authority. ${result.requests} DynamoDB requests.`);
  }
}

function usd(value: number): string {
  const sign = value < 0 ? '-' : '';
  return `${sign}$${Math.abs(value).toFixed(Math.abs(value) < 1 ? 4 : 2)}`;
}

/** JSON figures to the micro-dollar and 0.001 minute/hour: sums of floats print no noise. */
function rounded(group: CostGroup): CostGroup {
  const r = (n: number, places: number) => Math.round(n * 10 ** places) / 10 ** places;
  return {
    ...group,
    billedMinutes: r(group.billedMinutes, 3),
    vcpuHours: r(group.vcpuHours, 6),
    fargateUsd: r(group.fargateUsd, 6),
    githubUsd: r(group.githubUsd, 6),
  };
}
