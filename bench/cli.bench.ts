/**
 * ecsrunner over 10,000 records in the sandbox (issue 4): a limited listing by
 * status, the full --all --json listing, and how fast --help starts.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RunnerRecord, RunnerStatus } from '@runner-fleet/core';
import { startSandbox } from '../sandbox/src/index.js';
import { percentile, printTable, type Row } from './stats.js';

const RECORDS = 10_000;
const BIN = fileURLToPath(new URL('../cli/bin/run.js', import.meta.url));
const run = promisify(execFile);

const sandbox = await startSandbox({ env: { PORT: '0', SANDBOX_AUTOPILOT: '0' }, logLevel: 'SILENT' });
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: sandbox.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }));

// A fleet's day: mostly finished runners, some live ones, created over the last 20 hours.
const mix: Array<[RunnerStatus, number]> = [['completed', 0.6], ['failed', 0.1], ['cancelled', 0.05], ['busy', 0.1], ['idle', 0.05], ['starting', 0.03], ['queued', 0.05], ['terminated', 0.02]];
const now = Date.now();
const records: RunnerRecord[] = [];
for (let i = 0; i < RECORDS; i++) {
  let pick = (i % 100) / 100;
  const status = mix.find(([, share]) => (pick -= share) < 0)?.[0] ?? 'completed';
  const created = new Date(now - Math.floor((i / RECORDS) * 20 * 3600 * 1000)).toISOString();
  records.push({
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
    finishedAt: ['completed', 'failed', 'cancelled', 'terminated'].includes(status) ? created : undefined,
    version: 3,
  });
}
const seedStart = performance.now();
const batches: RunnerRecord[][] = [];
for (let i = 0; i < records.length; i += 25) batches.push(records.slice(i, i + 25));
let nextBatch = 0;
await Promise.all(
  Array.from({ length: 8 }, async () => {
    while (nextBatch < batches.length) {
      const batch = batches[nextBatch++]!;
      let items: Record<string, unknown>[] = batch.map((Item) => ({ PutRequest: { Item: JSON.parse(JSON.stringify(Item)) } }));
      while (items.length) {
        const out = await doc.send(new BatchWriteCommand({ RequestItems: { [sandbox.cliEnv.RUNNER_TABLE!]: items as never } }));
        items = (out.UnprocessedItems?.[sandbox.cliEnv.RUNNER_TABLE!] ?? []) as Record<string, unknown>[];
      }
    }
  }),
);
const seedSeconds = (performance.now() - seedStart) / 1000;

async function time(args: string[], runs: number): Promise<{ ms: number[]; stdout: string }> {
  const ms: number[] = [];
  let stdout = '';
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const out = await run(process.execPath, [BIN, ...args], { env: { ...process.env, ...sandbox.cliEnv }, maxBuffer: 256 * 1024 * 1024 });
    ms.push(performance.now() - start);
    stdout = out.stdout;
  }
  return { ms, stdout };
}

const rows: Row[] = [];
const human = await time(['runners', 'list', '--status', 'busy', '--limit', '50'], 5);
rows.push({ metric: 'runners list --status busy --limit 50, as a table (median of 5)', target: '≤ 1500 ms', measured: `${percentile(human.ms, 50).toFixed(0)} ms (min ${Math.min(...human.ms).toFixed(0)}, max ${Math.max(...human.ms).toFixed(0)})`, ok: percentile(human.ms, 50) <= 1500 && human.stdout.includes('Showing the newest 50') });
const limited = await time(['runners', 'list', '--status', 'busy', '--limit', '50', '--json'], 5);
const limitedCount = (JSON.parse(limited.stdout) as { count: number }).count;
rows.push({ metric: `the same with --json (median of 5; ${limitedCount} rows)`, target: '≤ 1500 ms', measured: `${percentile(limited.ms, 50).toFixed(0)} ms (min ${Math.min(...limited.ms).toFixed(0)}, max ${Math.max(...limited.ms).toFixed(0)})`, ok: percentile(limited.ms, 50) <= 1500 });
const full = await time(['runners', 'list', '--all', '--json'], 3);
const fullCount = (JSON.parse(full.stdout) as { count: number }).count;
rows.push({ metric: `runners list --all --json (median of 3; ${fullCount} rows)`, target: '≤ 1500 ms', measured: `${percentile(full.ms, 50).toFixed(0)} ms (min ${Math.min(...full.ms).toFixed(0)}, max ${Math.max(...full.ms).toFixed(0)})`, ok: percentile(full.ms, 50) <= 1500 && fullCount === RECORDS });
const help = await time(['--help'], 10);
rows.push({ metric: 'ecsrunner --help (median of 10)', target: '≤ 300 ms', measured: `${percentile(help.ms, 50).toFixed(0)} ms (min ${Math.min(...help.ms).toFixed(0)}, max ${Math.max(...help.ms).toFixed(0)})`, ok: percentile(help.ms, 50) <= 300 });
rows.push({ metric: `seeding ${RECORDS} records with BatchWriteItem (information)`, target: '', measured: `${seedSeconds.toFixed(1)} s`, ok: undefined });
await sandbox.stop();

printTable(`ecsrunner bench over ${RECORDS} records (node ${process.version})`, rows);
process.exit(0);
