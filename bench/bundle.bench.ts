/**
 * `npm run bench` (after the build): issue 17's figures, measured on the built zip, not the source.
 * - zip size with and without the source maps;
 * - cold start: a fresh process imports the unpacked zip and answers its first webhook;
 * - whole ingress handler CPU per signed 10 KB webhook, until the answer;
 * - dispatch CPU and wall, from the stream record (ingress's write) to RunTask.
 * The Lambda runs in a child process, so its CPU figures are its own; the sandbox (simulators,
 * dynalite) answers from this process. The machine is shared: every figure is given as min and
 * median (and p90, the noise) over repetitions, in rounds.
 */
import { execFile, fork } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import yauzl from 'yauzl';
import { FUNCTION_ARN } from '../sandbox/src/defaults.js';
import { startSandbox, workflowJobPayload } from '../sandbox/src/index.js';
import { percentile, printTable, type Row } from './stats.js';

// BENCH_LAMBDA_DIST names another build's folder (e.g. an older build, to compare; run them interleaved).
const dist = process.env.BENCH_LAMBDA_DIST ? resolve(process.env.BENCH_LAMBDA_DIST) : fileURLToPath(new URL('../lambda/dist/', import.meta.url));
const ROUNDS = 3;
const COLD_STARTS = 10;
const WEBHOOKS_PER_ROUND = 100;
const WARM_UP = 30;

const rows: Row[] = [];
const ms = (n: number) => `${n.toFixed(n < 10 ? 2 : 1)} ms`;
const spread = (values: number[]) => `min ${ms(Math.min(...values))}, median ${ms(percentile(values, 50))}, p90 ${ms(percentile(values, 90))} (n=${values.length})`;

/** Unpacks the zip as Lambda does, so what runs is exactly what is deployed. */
function unzip(file: string, dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return reject(error ?? new Error(`cannot open ${file}`));
      zip.on('error', reject).on('end', () => resolve());
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError || !stream) return reject(streamError ?? new Error(`cannot read ${entry.fileName}`));
          const parts: Buffer[] = [];
          stream.on('data', (part: Buffer) => parts.push(part)).on('end', () => {
            mkdirSync(dirname(join(dir, entry.fileName)), { recursive: true });
            writeFileSync(join(dir, entry.fileName), Buffer.concat(parts));
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

// 1. Zip size. Zip entries are compressed one by one, so the zip with the maps inside would be the sum of both.
const codeZip = statSync(join(dist, 'control-plane.zip')).size;
const mapsZip = existsSync(join(dist, 'control-plane.maps.zip')) ? statSync(join(dist, 'control-plane.maps.zip')).size : 0;
rows.push({ metric: 'deployment zip (control-plane.zip, no maps)', target: '≤ 400 KiB', measured: `${(codeZip / 1024).toFixed(0)} KiB`, ok: codeZip <= 400 * 1024 });
rows.push({ metric: 'zip with the maps inside (code + control-plane.maps.zip), information', target: '', measured: `${((codeZip + mapsZip) / 1024).toFixed(0)} KiB (maps ${(mapsZip / 1024).toFixed(0)} KiB)`, ok: undefined });

const taskDir = mkdtempSync(join(tmpdir(), 'control-plane-bench-'));
await unzip(join(dist, 'control-plane.zip'), taskDir);
const entry = join(taskDir, 'index.mjs');

const sandbox = await startSandbox({
  // Tasks stay PROVISIONING and the cap is above the jobs fired: this measures the launch path only.
  // The rounds dispatch back to back, faster than AWS's RunTask quota (20/s): the simulated quota is
  // lifted, or the wall figures would measure the SDK's adaptive backoff (rate-limits.it.ts proves that part).
  env: {
    PORT: '0',
    SANDBOX_AUTOPILOT: '0',
    SANDBOX_TASK_START_MS: '600000',
    SANDBOX_HOUSEKEEPING_MS: '0',
    MAX_RUNNERS: '100000',
    SANDBOX_RUNTASK_RATE: '100000',
    SANDBOX_RUNTASK_BURST: '100000',
    SANDBOX_FARGATE_LAUNCH_RATE: '100000',
    SANDBOX_FARGATE_LAUNCH_BURST: '100000',
  },
  logLevel: 'SILENT',
  onError: (m) => console.error(m),
});
// The child is the Lambda: the stream's records (ingress's writes, as the launches mapping delivers
// them) are kept here and handed to it, not run by the sandbox's own handler.
const queuedEvents = new Map<string, unknown>();
sandbox.stream.redirect(async (event) => {
  for (const record of event.Records) {
    const runnerId = record.dynamodb?.Keys?.runnerId?.S;
    if (runnerId) queuedEvents.set(runnerId, { Records: [record] });
  }
  return { batchItemFailures: [] };
});
sandbox.bus.registerFunction(FUNCTION_ARN, async () => undefined);
// No NODE_OPTIONS, as modules/control-plane deploys the function (BENCH_NODE_OPTIONS to try some).
const lambdaEnv = { ...process.env, ...sandbox.controlPlaneEnv, NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS ?? '', AWS_ACCESS_KEY_ID: 'sandbox', AWS_SECRET_ACCESS_KEY: 'sandbox', LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true', NODE_NO_WARNINGS: '1' };
const repo = 'octo-org/octo-repo';
let nextJobId = 5_000_000;

/** A queued workflow_job body padded to 10 KB, as the comparison sent. */
function webhookBody(id: number): string {
  const payload = workflowJobPayload('queued', repo, { id, runId: id, labels: ['self-hosted', 'class:medium'] });
  payload.padding = '';
  payload.padding = 'x'.repeat(Math.max(0, 10 * 1024 - JSON.stringify(payload).length));
  return JSON.stringify(payload);
}

// 2. Cold start: a fresh process per sample, import + first queued webhook.
const coldChild = fileURLToPath(new URL('./cold-start-child.mjs', import.meta.url));
const bareNode: number[] = [];
const colds: Array<{ importMs: number; firstEventMs: number; cpuMs: number; status: number }> = [];
for (let i = 0; i < COLD_STARTS + 1; i++) {
  const bareStart = performance.now();
  await promisify(execFile)(process.execPath, ['-e', '']);
  const bare = performance.now() - bareStart;
  const { stdout } = await promisify(execFile)(process.execPath, [coldChild, pathToFileURL(entry).href, sandbox.webhookSecret, String(nextJobId++)], { env: lambdaEnv });
  // The first of each is discarded: it warms the file cache.
  if (i === 0) continue;
  bareNode.push(bare);
  colds.push(JSON.parse(stdout) as (typeof colds)[number]);
}
const coldTotals = colds.map((c) => c.importMs + c.firstEventMs);
rows.push({ metric: 'cold start: import + first webhook (fresh process, in-process clock)', target: '≤ 130 ms', measured: `${spread(coldTotals)}; HTTP ${[...new Set(colds.map((c) => c.status))].join('/')}`, ok: percentile(coldTotals, 50) <= 130 });
rows.push({ metric: '  of which import', target: '', measured: spread(colds.map((c) => c.importMs)), ok: undefined });
rows.push({ metric: '  of which first webhook (SSM, PutItem)', target: '', measured: spread(colds.map((c) => c.firstEventMs)), ok: undefined });
rows.push({ metric: '  CPU of import + first webhook', target: '', measured: spread(colds.map((c) => c.cpuMs)), ok: undefined });
rows.push({ metric: '  bare `node -e ""` process, for scale (not included above)', target: '', measured: spread(bareNode), ok: undefined });

// 3 and 4. A warm Lambda process: ingress per webhook, then dispatch per event, in rounds.
type Answer = { id: number; startedAt: number; wallMs: number; cpuMs: number; status?: number; error?: string };
const lambda = fork(fileURLToPath(new URL('./lambda-child.mjs', import.meta.url)), [entry, sandbox.webhookSecret], { env: lambdaEnv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
const waiting = new Map<number, (answer: Answer) => void>();
let ready!: () => void;
const isReady = new Promise<void>((resolve) => (ready = resolve));
lambda.on('message', (message: Answer & { ready?: boolean }) => (message.ready ? ready() : waiting.get(message.id)?.(message)));
await isReady;
let nextCall = 0;
async function invoke(event: { webhookBody: string } | { lambdaEvent: unknown }): Promise<Answer> {
  const id = nextCall++;
  const answer = await new Promise<Answer>((resolve) => {
    waiting.set(id, resolve);
    lambda.send({ id, ...event });
  });
  waiting.delete(id);
  if (answer.error) throw new Error(`the Lambda failed: ${answer.error}`);
  return answer;
}
async function webhook(): Promise<{ runnerId: string; answer: Answer }> {
  const id = nextJobId++;
  const answer = await invoke({ webhookBody: webhookBody(id) });
  if (answer.status !== 202) throw new Error(`job ${id}: HTTP ${answer.status}`);
  return { runnerId: `ecs-runner-${id}`, answer };
}
async function dispatch(runnerId: string): Promise<{ answer: Answer; toRunTaskMs: number }> {
  await sandbox.dispatchIdle();
  const event = queuedEvents.get(runnerId);
  if (!event) throw new Error(`no stream record for ${runnerId}`);
  const answer = await invoke({ lambdaEvent: event });
  const runTaskAt = sandbox.ecs.firstRunTaskAt.get(runnerId);
  if (runTaskAt === undefined) throw new Error(`${runnerId}: dispatch issued no RunTask`);
  return { answer, toRunTaskMs: performance.timeOrigin + runTaskAt - answer.startedAt };
}

// The first webhook and the first dispatch of this process load their clients; they are reported apart.
const first = await webhook();
const firstDispatch = await dispatch(first.runnerId);
for (let i = 0; i < WARM_UP; i++) await dispatch((await webhook()).runnerId);

const ingressCpu: number[] = [];
const ingressWall: number[] = [];
const dispatchCpu: number[] = [];
const dispatchWall: number[] = [];
const dispatchToRunTask: number[] = [];
const roundMedians: string[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const runners: string[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < WEBHOOKS_PER_ROUND; i++) {
    const { runnerId, answer } = await webhook();
    runners.push(runnerId);
    cpu.push(answer.cpuMs);
    ingressWall.push(answer.wallMs);
  }
  const dCpu: number[] = [];
  for (const runnerId of runners) {
    const { answer, toRunTaskMs } = await dispatch(runnerId);
    dCpu.push(answer.cpuMs);
    dispatchWall.push(answer.wallMs);
    dispatchToRunTask.push(toRunTaskMs);
  }
  ingressCpu.push(...cpu);
  dispatchCpu.push(...dCpu);
  roundMedians.push(`${ms(percentile(cpu, 50))} / ${ms(percentile(dCpu, 50))}`);
}
lambda.kill();

rows.push({ metric: 'whole ingress handler CPU per 10 KB webhook, until the answer', target: '≤ 2.4 ms', measured: spread(ingressCpu), ok: percentile(ingressCpu, 50) <= 2.4 });
rows.push({ metric: '  ingress wall (SSM cached; one PutItem)', target: '', measured: spread(ingressWall), ok: undefined });
rows.push({ metric: 'dispatch CPU, stream record → handler done (RunTask, UpdateItem)', target: '≤ 17 ms', measured: spread(dispatchCpu), ok: percentile(dispatchCpu, 50) <= 17 });
rows.push({ metric: '  dispatch wall, stream record → RunTask received', target: '', measured: spread(dispatchToRunTask), ok: undefined });
rows.push({ metric: '  dispatch wall, stream record → handler done', target: '', measured: spread(dispatchWall), ok: undefined });
rows.push({ metric: `  per-round medians, ingress CPU / dispatch CPU (${ROUNDS} rounds)`, target: '', measured: roundMedians.join('; '), ok: undefined });
rows.push({ metric: "  this process's first webhook / first dispatch (clients load), information", target: '', measured: `CPU ${ms(first.answer.cpuMs)} / ${ms(firstDispatch.answer.cpuMs)}, wall ${ms(first.answer.wallMs)} / ${ms(firstDispatch.answer.wallMs)}`, ok: undefined });

await sandbox.stop();
rmSync(taskDir, { recursive: true, force: true });
printTable(`Bundle bench, built zip ${dist} (node ${process.version}, ${(await import('node:os')).cpus().length} cores, load ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')})`, rows);
const failed = rows.filter((r) => r.ok === false);
if (failed.length) console.log(`\n${failed.length} target(s) missed.`);
process.exit(0);
