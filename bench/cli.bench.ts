/**
 * ecsrunner on a sandbox table with 50,000 terminal and 50 live records
 * (issue 15): what `runners list` costs in DynamoDB requests and time over
 * the CLI's bare start, the history listings, and how fast --help starts.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RunnerRecord, RunnerStatus } from '@runner-fleet/core';
import { startSandbox } from '../sandbox/src/index.js';
import { percentile, printTable, type Row } from './stats.js';

const TERMINAL = Number(process.env.BENCH_TERMINAL_RECORDS ?? 50_000);
const LIVE: Array<[RunnerStatus, number]> = [['queued', 5], ['image_building', 2], ['starting', 8], ['idle', 15], ['busy', 20]];
const BIN = fileURLToPath(new URL('../cli/bin/run.js', import.meta.url));
const run = promisify(execFile);

const sandbox = await startSandbox({ env: { PORT: '0', SANDBOX_AUTOPILOT: '0', SANDBOX_HOUSEKEEPING_MS: '0' }, logLevel: 'SILENT' });
const table = sandbox.cliEnv.RUNNER_TABLE!;
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: sandbox.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }), {
  marshallOptions: { removeUndefinedValues: true },
});

// A month of history (the records' retention) behind a live fleet created in the last hour.
const now = Date.now();
const terminal: Array<[RunnerStatus, number]> = [['completed', 0.8], ['failed', 0.1], ['cancelled', 0.07], ['terminated', 0.03]];
function record(i: number, status: RunnerStatus, createdMs: number): RunnerRecord {
  const created = new Date(createdMs).toISOString();
  const ended = ['completed', 'failed', 'cancelled', 'terminated'].includes(status);
  return {
    runnerId: `ecs-runner-${1_000_000 + i}`,
    status,
    statusReason: status === 'failed' ? 'Essential container in task exited (exit code 1) before the runner took a job' : 'bench',
    repo: 'octo-org/octo-repo',
    jobId: 1_000_000 + i,
    runId: 900_000 + i,
    runAttempt: 1,
    labels: ['self-hosted', 'class:medium'],
    runnerClass: 'medium',
    cpu: 1024,
    memory: 2048,
    taskArn: `arn:aws:ecs:us-east-1:000000000000:task/runner-fleet/${(1e12 + i).toString(16)}`,
    createdAt: created,
    updatedAt: created,
    finishedAt: ended ? new Date(createdMs + 300_000).toISOString() : undefined,
    version: 3,
  };
}
const records: RunnerRecord[] = [];
for (let i = 0; i < TERMINAL; i++) {
  let pick = (i % 100) / 100;
  const status = terminal.find(([, share]) => (pick -= share) < 0)?.[0] ?? 'completed';
  records.push(record(i, status, now - 3_600_000 - Math.floor((i / TERMINAL) * 30 * 86_400_000)));
}
let live = 0;
for (const [status, count] of LIVE) for (let j = 0; j < count; j++) records.push(record(TERMINAL + live, status, now - (live++ * 60_000)));

const seedStart = performance.now();
const batches: RunnerRecord[][] = [];
for (let i = 0; i < records.length; i += 25) batches.push(records.slice(i, i + 25));
let nextBatch = 0;
await Promise.all(
  Array.from({ length: 8 }, async () => {
    while (nextBatch < batches.length) {
      const batch = batches[nextBatch++]!;
      let items: Record<string, unknown>[] = batch.map((Item) => ({ PutRequest: { Item } }));
      while (items.length) {
        const out = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: items as never } }));
        items = (out.UnprocessedItems?.[table] ?? []) as Record<string, unknown>[];
      }
    }
  }),
);
const seedSeconds = (performance.now() - seedStart) / 1000;

/** Runs ecsrunner `runs` times; the DynamoDB requests are those of the last run. */
async function time(args: string[], runs: number): Promise<{ ms: number[]; stdout: string; dynamoRequests: number }> {
  const ms: number[] = [];
  let stdout = '';
  let dynamoRequests = 0;
  for (let i = 0; i < runs; i++) {
    sandbox.resetCounters();
    const start = performance.now();
    const out = await run(process.execPath, [BIN, ...args], { env: { ...process.env, ...sandbox.cliEnv }, maxBuffer: 256 * 1024 * 1024 });
    ms.push(performance.now() - start);
    stdout = out.stdout;
    dynamoRequests = Object.entries(sandbox.awsCalls).reduce((sum, [call, n]) => sum + (call.startsWith('DynamoDB.') ? n : 0), 0);
  }
  return { ms, stdout, dynamoRequests };
}
const median = (ms: number[]) => percentile(ms, 50);
const spread = (ms: number[]) => `(min ${Math.min(...ms).toFixed(0)}, max ${Math.max(...ms).toFixed(0)})`;

const rows: Row[] = [];
const bare = await time(['--version'], 10);
const bareMs = median(bare.ms);
rows.push({ metric: 'ecsrunner --version: the bare start (median of 10)', target: '', measured: `${bareMs.toFixed(0)} ms ${spread(bare.ms)}`, ok: undefined });

const liveTotal = LIVE.reduce((sum, [, n]) => sum + n, 0);
const listed = await time(['runners', 'list'], 5);
const listedRows = listed.stdout.split('\n').filter((line) => /ecs-runner-\d+/.test(line)).length;
rows.push({ metric: `runners list, as a table: DynamoDB requests (${listedRows} rows)`, target: '≤ 5', measured: String(listed.dynamoRequests), ok: listed.dynamoRequests <= 5 && listedRows === liveTotal });
rows.push({ metric: 'runners list, as a table: over the bare start (median of 5)', target: '≤ 500 ms', measured: `${(median(listed.ms) - bareMs).toFixed(0)} ms (${median(listed.ms).toFixed(0)} ms in all) ${spread(listed.ms)}`, ok: median(listed.ms) - bareMs <= 500 });

const json = await time(['runners', 'list', '--json'], 5);
const jsonCount = (JSON.parse(json.stdout) as { count: number }).count;
rows.push({ metric: `runners list --json: DynamoDB requests, over the bare start (median of 5; ${jsonCount} rows)`, target: '≤ 5, ≤ 500 ms', measured: `${json.dynamoRequests}, ${(median(json.ms) - bareMs).toFixed(0)} ms ${spread(json.ms)}`, ok: json.dynamoRequests <= 5 && median(json.ms) - bareMs <= 500 && jsonCount === liveTotal });

const history = await time(['runners', 'list', '--all', '--limit', '50', '--json'], 3);
const historyCount = (JSON.parse(history.stdout) as { count: number }).count;
rows.push({ metric: `runners list --all --limit 50 --json (history; median of 3; ${historyCount} rows)`, target: '', measured: `${history.dynamoRequests} requests, ${median(history.ms).toFixed(0)} ms ${spread(history.ms)}`, ok: undefined });

const failed = await time(['runners', 'list', '--status', 'failed', '--since', '7d', '--json'], 3);
const failedCount = (JSON.parse(failed.stdout) as { count: number }).count;
rows.push({ metric: `runners list --status failed --since 7d --json (median of 3; ${failedCount} rows)`, target: '', measured: `${failed.dynamoRequests} requests, ${median(failed.ms).toFixed(0)} ms ${spread(failed.ms)}`, ok: undefined });

const help = await time(['--help'], 10);
rows.push({ metric: 'ecsrunner --help (median of 10)', target: '≤ 300 ms', measured: `${median(help.ms).toFixed(0)} ms ${spread(help.ms)}`, ok: median(help.ms) <= 300 });
rows.push({ metric: `seeding ${records.length} records with BatchWriteItem (information)`, target: '', measured: `${seedSeconds.toFixed(1)} s`, ok: undefined });
await sandbox.stop();

printTable(`ecsrunner bench over ${TERMINAL} terminal and ${liveTotal} live records (node ${process.version})`, rows);
process.exit(0);
