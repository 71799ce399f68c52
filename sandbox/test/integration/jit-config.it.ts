import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startSandbox, type Sandbox } from '../../src/index.js';
import { recordHistories, TIME_SCALE } from './harness.js';

const BIN = fileURLToPath(new URL('../../../cli/bin/run.js', import.meta.url));

/** ecsrunner as an operator runs it, with the sandbox's printed exports; its stdout. */
function ecsrunner(sandbox: Sandbox, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, AWS_EC2_METADATA_DISABLED: 'true', ...sandbox.cliEnv } as NodeJS.ProcessEnv, timeout: 20_000 * TIME_SCALE }, (error, stdout, stderr) =>
      error ? reject(new Error(`ecsrunner ${args.join(' ')} failed: ${stderr}`)) : resolve(stdout),
    );
  });
}

/**
 * Issue 14, finding 1: the JIT config (it holds the runner's RSA private key) is in plain text only
 * where it must be: GitHub's answer to generate-jitconfig, the SecureString the control plane puts,
 * and the runner's own decrypting read of it. Everything else the simulators saw is searched.
 */
describe("a runner's JIT config", () => {
  let sandbox: Sandbox;
  const logLines: string[] = [];
  let runnerId: string;
  let histories: Map<string, string[]>;
  let cli: string[];

  beforeAll(async () => {
    // The control plane's own log lines at their most talkative, as CloudWatch would get them.
    const write = process.stdout.write.bind(process.stdout);
    jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const line = chunk.toString();
      if (line.includes('runner-fleet-control-plane')) {
        logLines.push(line);
        return true;
      }
      return write(chunk, ...(rest as []));
    }) as typeof process.stdout.write);
    sandbox = await startSandbox({
      env: { PORT: '0', SANDBOX_TASK_START_MS: '20', SANDBOX_JOB_MS: '40', SANDBOX_RETRY_MS: '20', SANDBOX_HOUSEKEEPING_MS: '0', SANDBOX_PICKUP_MS: '300', SANDBOX_RECORD_REQUESTS: '1', ...(process.env.SANDBOX_LAMBDA ? { SANDBOX_LAMBDA: process.env.SANDBOX_LAMBDA } : {}) },
      logLevel: 'DEBUG',
      onError: (message, error) => logLines.push(`sandbox problem: ${message} ${String(error)}`),
    });
    histories = recordHistories(sandbox);
    const job = await sandbox.autopilot.queueJob(['self-hosted', 'class:medium']);
    runnerId = `ecs-runner-${job.id}`;
    await sandbox.settle();
    // A second runner whose process dies before it takes a job: the STOPPED path, a deregistration, a replacement.
    sandbox.autopilot.exitBeforeJob(1, 0);
    await sandbox.autopilot.queueJob(['self-hosted']);
    await sandbox.settle();
    await sandbox.runHousekeeping();
    await sandbox.settle();
    cli = [
      await ecsrunner(sandbox, ['runners', 'details', runnerId, '--json']),
      await ecsrunner(sandbox, ['runners', 'list', '--all', '--json']),
      await ecsrunner(sandbox, ['runners', 'logs', runnerId]),
    ];
  }, 120_000 * TIME_SCALE);
  afterAll(async () => {
    await sandbox?.stop();
    jest.restoreAllMocks();
  });

  /** Every config GitHub issued, and what only their private keys contain (base64, base64url, PEM lines). */
  const secrets = () => [...sandbox.github.issuedJitConfigs.values()].flatMap((c) => [c.encoded, ...c.privateKeyMaterial]);
  const leaks = (haystack: string) => secrets().filter((s) => haystack.includes(s));

  it('is a real-sized config with a private key, so the search means something', () => {
    expect(histories.get(runnerId)).toEqual(['queued', 'starting', 'idle', 'busy', 'completed']);
    expect(sandbox.github.issuedJitConfigs.size).toBeGreaterThanOrEqual(3);
    const issued = sandbox.github.issuedJitConfigs.get(runnerId)!;
    // GitHub's configs are close to 4 KB (the standard SSM tier's limit; the adapter lets SSM pick the tier).
    expect(issued.encoded.length).toBeGreaterThan(3500);
    const files = JSON.parse(Buffer.from(issued.encoded, 'base64').toString('utf8')) as Record<string, string>;
    expect(Object.keys(files).sort()).toEqual(['.credentials', '.credentials_rsaparams', '.runner']);
    expect(Buffer.from(files['.credentials_rsaparams']!, 'base64').toString('utf8')).toContain(issued.privateKeyMaterial[0]);
    expect(sandbox.requests.length).toBeGreaterThan(20);
  });

  it('travels in plain text only from GitHub to the SecureString and from there to its runner', () => {
    const carriers = sandbox.requests.filter((r) => leaks(r.request + r.response).length > 0);
    const allowed = (r: (typeof carriers)[number]) => {
      if (r.to === 'GitHub POST /github/repos/octo-org/octo-repo/actions/runners/generate-jitconfig') return leaks(r.request).length === 0;
      const request = JSON.parse(r.request) as { Type?: string; WithDecryption?: boolean; Name?: string };
      if (r.to === 'SSM.PutParameter') return request.Type === 'SecureString' && request.Name!.startsWith('/ecs-runner/jit/') && leaks(r.response).length === 0;
      if (r.to === 'SSM.GetParameter') return request.WithDecryption === true && request.Name!.startsWith('/ecs-runner/jit/');
      return false;
    };
    expect(carriers.filter((r) => !allowed(r)).map((r) => r.to)).toEqual([]);
    // It did go that way: every runner's config was put as a SecureString and read back once.
    expect(carriers.filter((r) => r.to === 'SSM.PutParameter')).toHaveLength(sandbox.github.issuedJitConfigs.size);
    expect(carriers.filter((r) => r.to === 'SSM.GetParameter')).toHaveLength(sandbox.github.issuedJitConfigs.size);
  });

  it('is not in RunTask, DescribeTasks or the tasks ECS keeps', () => {
    const ecs = sandbox.requests.filter((r) => r.to.startsWith('ECS.'));
    expect(ecs.map((r) => r.to)).toEqual(expect.arrayContaining(['ECS.RunTask', 'ECS.DescribeTasks']));
    expect(ecs.flatMap((r) => leaks(r.request + r.response))).toEqual([]);
    expect(leaks(JSON.stringify([...sandbox.ecs.tasks.values()]))).toEqual([]);
  });

  it('is in no event on any bus (ECS task state changes included) and no dead letter', () => {
    expect(sandbox.bus.history.some((h) => h.event['detail-type'] === 'ECS Task State Change')).toBe(true);
    expect(leaks(JSON.stringify(sandbox.bus.history))).toEqual([]);
    expect(leaks(JSON.stringify(sandbox.deadLetters()))).toEqual([]);
  });

  it("is in none of the control plane's log lines, nor the runner's", () => {
    expect(logLines.length).toBeGreaterThanOrEqual(5);
    expect(leaks(logLines.join('\n'))).toEqual([]);
    expect(leaks(JSON.stringify(sandbox.logs))).toEqual([]);
  });

  it("is in no runner record and no CLI output (details, list, logs)", async () => {
    expect(leaks(JSON.stringify(await sandbox.allRecords()))).toEqual([]);
    expect(JSON.parse(cli[0]!)).toMatchObject({ runner: { runnerId, status: 'completed' }, taskKnownToEcs: true });
    expect(leaks(cli.join('\n'))).toEqual([]);
  });

  it("is not in the job step's environment", () => {
    const environments = [...sandbox.autopilot.stepEnvironments.values()];
    expect(environments.length).toBeGreaterThanOrEqual(1);
    expect(leaks(JSON.stringify(environments))).toEqual([]);
    expect(environments.every((env) => !('RUNNER_JITCONFIG' in env))).toBe(true);
  });

  it('is gone from SSM once the runners ended, whichever way', () => {
    expect(sandbox.ssm.under('/ecs-runner/jit/')).toEqual([]);
    expect(leaks(JSON.stringify([...sandbox.ssm.parameters.values()]))).toEqual([]);
  });
});
