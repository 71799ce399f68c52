import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sandbox } from '../../src/index.js';
import { FUNCTION_ARN } from '../../src/defaults.js';
import { nextJobId, startTestSandbox } from './harness.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const lambdaDir = join(repoRoot, 'lambda');

type Metafile = { inputs: Record<string, { format?: string }>; outputs: Record<string, { inputs: Record<string, unknown> }> };
type ChildReport = { phase: 'ingress' | 'dispatch'; status?: number; modules: string[]; error?: string };

/** The source files (esbuild's metafile inputs) bundled into the chunks a process loaded. */
function inputsOf(loadedUrls: string[], meta: Metafile): string[] {
  const inputs = new Set<string>();
  for (const url of loadedUrls) {
    const output = meta.outputs[relative(lambdaDir, fileURLToPath(url))];
    for (const input of Object.keys(output?.inputs ?? {})) inputs.add(input);
  }
  return [...inputs];
}

// @octokit/webhooks-methods is ingress's own (the signature check); the REST client is dispatch's.
const DISPATCH_ONLY = /@aws-sdk\/client-(ecs|ecr|codebuild)\/|@octokit\/(?!webhooks-methods\/)|^src\/(adapters\/(github-|ecs-tasks|runner-images)|routes\/(dispatch|stream|task-state|image-build|housekeeping)\.ts|domain\/(housekeeping|launch-runner|stream-handoff|github-budget|rate-limit-wait)\.ts)/;

/** Issue 17: a cold start's first webhook loads only what ingress needs; dispatch's clients load on the first dispatch. */
describe('the built bundle, cold', () => {
  let sandbox: Sandbox & { problems: string[] };
  let child: ChildProcess;
  let meta: Metafile;
  let logDir: string;
  const delivered: unknown[] = [];
  const reports: ChildReport[] = [];
  let nextReport: (() => void) | undefined;

  const report = async (phase: ChildReport['phase']): Promise<ChildReport> => {
    for (let i = 0; i < 600 && !reports.some((r) => r.phase === phase); i++) await new Promise<void>((resolve) => { nextReport = resolve; setTimeout(resolve, 100); });
    const found = reports.find((r) => r.phase === phase);
    if (!found) throw new Error(`the child never reported ${phase}`);
    return found;
  };

  beforeAll(async () => {
    execFileSync(join(repoRoot, 'node_modules/.bin/tsx'), ['build.ts'], { cwd: lambdaDir, stdio: 'pipe' });
    meta = JSON.parse(readFileSync(join(lambdaDir, 'dist/meta.json'), 'utf8')) as Metafile;
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0' });
    // The child is the Lambda: the stream's batches (and the bus's events) are kept for it instead of going to the in-process handler.
    sandbox.stream.redirect(async (event) => {
      delivered.push(event);
      return { batchItemFailures: [] };
    });
    sandbox.bus.registerFunction(FUNCTION_ARN, async (event) => {
      delivered.push(event);
    });
    logDir = mkdtempSync(join(tmpdir(), 'cold-start-'));
    const logFile = join(logDir, 'modules.log');
    writeFileSync(logFile, '');
    child = fork(join(repoRoot, 'bench/route-modules-child.mjs'), [join(lambdaDir, 'dist/index.mjs'), sandbox.webhookSecret, String(nextJobId()), logFile], {
      env: { ...process.env, ...sandbox.controlPlaneEnv, AWS_ACCESS_KEY_ID: 'sandbox', AWS_SECRET_ACCESS_KEY: 'sandbox', LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    child.on('message', (message) => {
      reports.push(message as ChildReport);
      nextReport?.();
    });
  }, 120_000);
  afterAll(async () => {
    child?.kill();
    await sandbox?.stop();
    rmSync(logDir, { recursive: true, force: true });
  });

  it('bundles the AWS SDK and Octokit from their ES module builds: no CommonJS but the one SDK dependency that has no other', () => {
    const inputs = Object.keys(meta.inputs);
    expect(inputs.filter((i) => i.includes('/dist-cjs/'))).toEqual([]);
    expect(inputs.some((i) => i.includes('@aws-sdk/client-dynamodb/dist-es/'))).toBe(true);
    // mnemonist's LRU cache (the DynamoDB client's endpoint cache) and its helper ship only CommonJS.
    const commonJs = Object.entries(meta.inputs).filter(([, input]) => input.format === 'cjs').map(([path]) => path);
    expect(commonJs.filter((path) => !/node_modules\/(mnemonist|obliterator)\//.test(path))).toEqual([]);
  });

  it('answers the first webhook having loaded no bus route, ECS, ECR, CodeBuild or Octokit code', async () => {
    const ingress = await report('ingress');
    expect(ingress.status).toBe(202);
    const inputs = inputsOf(ingress.modules, meta);
    // What ingress does need was loaded, so the mapping from chunks to sources works.
    expect(inputs.some((i) => i.includes('@aws-sdk/client-dynamodb/'))).toBe(true);
    expect(inputs.filter((i) => DISPATCH_ONLY.test(i))).toEqual([]);
  }, 60_000);

  it("loads dispatch's clients on the first dispatch, and launches the runner", async () => {
    await report('ingress');
    await sandbox.dispatchIdle();
    // Ingress's write reached the stream: the mapping's batch holds the queued record.
    const event = delivered.find((e) => (e as { Records?: Array<{ eventSource?: string }> }).Records?.[0]?.eventSource === 'aws:dynamodb');
    expect(event).toBeDefined();
    child.send(event!);
    const dispatch = await report('dispatch');
    expect(dispatch.error).toBeUndefined();
    const inputs = inputsOf(dispatch.modules, meta);
    expect(inputs.some((i) => i.includes('@aws-sdk/client-ecs/'))).toBe(true);
    expect(inputs.some((i) => i.includes('@octokit/core/'))).toBe(true);
    expect(inputs).toContain('src/routes/stream.ts');
    expect(inputs).toContain('src/routes/dispatch.ts');
    expect(sandbox.ecs.tasksStarted).toBe(1);
  }, 60_000);
});
