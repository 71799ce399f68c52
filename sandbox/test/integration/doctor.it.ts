import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { CheckResult } from '@runner-fleet/cli';
import { workflowJobPayload, type Sandbox } from '../../src/index.js';
import { createServer, type AddressInfo } from 'node:net';
import { backdate, nextJobId, startTestSandbox, tableClient, TIME_SCALE } from './harness.js';

const BIN = fileURLToPath(new URL('../../../cli/bin/run.js', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

interface DoctorRun extends Run {
  results: CheckResult[];
  byCheck: (check: string) => CheckResult | undefined;
}

/** ecsrunner as an operator runs it: the built binary with only the endpoint, credentials and ECSRUNNER_FLEET (plus `extra`). */
function ecsrunner(sandbox: Sandbox, args: string[], extra: Record<string, string> = {}): Promise<Run> {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL: sandbox.cliEnv.AWS_ENDPOINT_URL,
    AWS_REGION: sandbox.cliEnv.AWS_REGION,
    AWS_ACCESS_KEY_ID: sandbox.cliEnv.AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: sandbox.cliEnv.AWS_SECRET_ACCESS_KEY,
    ECSRUNNER_FLEET: sandbox.cliEnv.ECSRUNNER_FLEET,
    ...extra,
  };
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: env as NodeJS.ProcessEnv, timeout: 30_000 * TIME_SCALE }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr: stderr.replace(/\s*›\s*/g, ' ').replace(/\s+/g, ' ').trim() });
    });
  });
}

async function doctor(sandbox: Sandbox, args: string[] = ['--json']): Promise<DoctorRun> {
  const run = await ecsrunner(sandbox, ['doctor', ...args]);
  const results = args.includes('--json') ? (JSON.parse(run.stdout) as CheckResult[]) : [];
  return { ...run, results, byCheck: (check) => results.find((r) => r.check === check) };
}

const problems = (run: DoctorRun) => run.results.filter((r) => r.status !== 'PASS').map((r) => `${r.status} ${r.check}: ${r.message}`);

describe('ecsrunner doctor against the sandbox', () => {
  let sandbox: Sandbox & { problems: string[] };
  const repo = 'octo-org/octo-repo';

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    // One job end to end, so the webhook has deliveries to show.
    const id = nextJobId();
    await sandbox.webhooks.send('workflow_job', workflowJobPayload('queued', repo, { id, runId: id - 1, labels: ['self-hosted'] }));
    await sandbox.settle();
  }, 60_000 * TIME_SCALE);
  afterAll(() => sandbox.stop());

  it('passes every check on a healthy sandbox, found from ECSRUNNER_FLEET alone', async () => {
    const run = await doctor(sandbox);
    expect(problems(run)).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.results.map((r) => r.check)).toEqual([
      'configuration', 'aws-identity', 'runner-table', 'class-sizes', 'lambda', 'lambda-errors', 'dead-letter-queue',
      'github-credential', 'webhook', 'webhook-deliveries', 'runner-version', 'queued-jobs', 'stuck-runners', 'ghost-runners', 'orphan-tasks',
    ]);
  });

  it('prints one line per check for a person, and a summary', async () => {
    const run = await doctor(sandbox, []);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^PASS {2}runner-table {8}Table runner-fleet-runners is ACTIVE/m);
    expect(run.stdout).toMatch(/15 passed, 0 warnings, 0 failed\./);
  });

  it('names a missing webhook, and exits 1', async () => {
    const hooks = sandbox.github.hooks.splice(0);
    try {
      const run = await doctor(sandbox);
      expect(run.code).toBe(1);
      expect(run.byCheck('webhook')).toMatchObject({ status: 'FAIL', message: expect.stringContaining(`has no webhook for ${sandbox.webhookUrl}`) });
      expect(problems(run)).toHaveLength(1);
    } finally {
      sandbox.github.hooks.push(...hooks);
    }
  });

  it('names a webhook that does not send workflow_job', async () => {
    const hook = sandbox.github.hooks[0]!;
    hook.events = ['push'];
    try {
      const run = await doctor(sandbox);
      expect(run.byCheck('webhook')).toMatchObject({ status: 'FAIL', message: expect.stringContaining('leave out workflow_job') });
    } finally {
      hook.events = ['workflow_job'];
    }
  });

  it('names failing deliveries (a webhook secret that differs) and says what to do', async () => {
    const log = sandbox.github.deliveries.get(1)!;
    const before = log.length;
    const id = nextJobId();
    const answer = await sandbox.webhooks.send('workflow_job', workflowJobPayload('queued', repo, { id, runId: id - 1, labels: ['self-hosted'] }), { secret: 'not-the-fleets-secret' });
    expect(answer.status).toBe(401);
    try {
      const run = await doctor(sandbox);
      expect(run.code).toBe(1);
      expect(run.byCheck('webhook-deliveries')).toMatchObject({ status: 'FAIL', message: expect.stringContaining('failed with 401') });
      expect(run.byCheck('webhook-deliveries')!.message).toContain('webhook secret');
    } finally {
      log.splice(before);
    }
  });

  it('names class sizes that are not Fargate sizes', async () => {
    const ssm = new SSMClient({ endpoint: sandbox.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const name = sandbox.controlPlaneEnv.CLASS_SIZES_PARAM!;
    const good = sandbox.ssm.parameters.get(name)!.value;
    await ssm.send(new PutParameterCommand({ Name: name, Value: '{"small":{"cpu":512,"memory":9999}}', Type: 'String', Overwrite: true }));
    try {
      const run = await doctor(sandbox);
      expect(run.code).toBe(1);
      expect(run.byCheck('class-sizes')).toMatchObject({ status: 'FAIL', message: expect.stringContaining('512/9999 is not a Fargate cpu/memory pair') });
    } finally {
      await ssm.send(new PutParameterCommand({ Name: name, Value: good, Type: 'String', Overwrite: true }));
    }
  });

  it('names a Lambda whose environment lacks a variable the control plane needs', async () => {
    const table = sandbox.lambdaFunction.environment.RUNNER_TABLE!;
    delete sandbox.lambdaFunction.environment.RUNNER_TABLE;
    try {
      const run = await doctor(sandbox);
      expect(run.byCheck('lambda')).toMatchObject({ status: 'FAIL', message: expect.stringContaining('RUNNER_TABLE is required') });
    } finally {
      sandbox.lambdaFunction.environment.RUNNER_TABLE = table;
    }
  });

  it('names ERROR lines the control plane logged in the last hour, not older ones', async () => {
    const group = '/aws/lambda/runner-fleet-control-plane';
    const line = (message: string) => JSON.stringify({ level: 'ERROR', message, error: { message: 'GitHub answered 502' } });
    sandbox.logs.write(group, '2026/01/01/[$LATEST]old', [line('long ago')], Date.now() - 2 * 3600_000);
    sandbox.logs.write(group, '2026/01/01/[$LATEST]warn', [JSON.stringify({ level: 'WARN', message: 'a warning' })]);
    const quiet = await doctor(sandbox);
    expect(quiet.byCheck('lambda-errors')).toMatchObject({ status: 'PASS' });
    sandbox.logs.write(group, '2026/01/01/[$LATEST]errors', [line('dispatch failed')]);
    const run = await doctor(sandbox);
    expect(run.byCheck('lambda-errors')).toMatchObject({ status: 'FAIL', message: expect.stringContaining('1 ERROR line from the control plane in the last hour'), details: { count: 1, samples: ['dispatch failed: GitHub answered 502'] } });
  });

  it('names a runner version GitHub has moved past: WARN within 30 days of the first newer release, FAIL after', async () => {
    const releases = sandbox.github.runnerReleases;
    const published = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
    try {
      releases.push({ version: '9.998.0', publishedAt: published(10) });
      const recent = await doctor(sandbox);
      expect(recent.byCheck('runner-version')).toMatchObject({ status: 'WARN', message: expect.stringContaining('within 20 days') });
      // An older newer release starts the clock: 40 days ago, however recent the latest is.
      releases.push({ version: '9.997.0', publishedAt: published(40) });
      const stale = await doctor(sandbox);
      expect(stale.code).toBe(1);
      expect(stale.byCheck('runner-version')).toMatchObject({ status: 'FAIL', message: expect.stringContaining(`set runner_version = "9.998.0"`), details: { firstNewer: '9.997.0', ageDays: 40 } });
    } finally {
      releases.splice(1);
    }
  });

  it('names jobs queued too long and why: waiting for a slot (WARN), never dispatched (FAIL)', async () => {
    const now = new Date().toISOString();
    const base = { status: 'queued' as const, repo, runId: 1, runAttempt: 1, labels: ['self-hosted'], createdAt: now, updatedAt: now, version: 1 };
    const slot = nextJobId();
    const lost = nextJobId();
    await sandbox.store.create({ ...base, runnerId: `ecs-runner-${slot}`, jobId: slot, retryAt: now });
    await sandbox.store.create({ ...base, runnerId: `ecs-runner-${lost}`, jobId: lost });
    const fresh = await doctor(sandbox, ['--json', '--queued-minutes', '10']);
    expect(fresh.byCheck('queued-jobs')).toMatchObject({ status: 'PASS' });

    await backdate(sandbox, `ecs-runner-${slot}`, ['createdAt'], 25);
    const waiting = await doctor(sandbox, ['--json', '--queued-minutes', '10']);
    expect(waiting.byCheck('queued-jobs')).toMatchObject({ status: 'WARN', message: expect.stringContaining(`ecs-runner-${slot} (25 min), is waiting for a runner slot`) });

    await backdate(sandbox, `ecs-runner-${lost}`, ['createdAt'], 30);
    const stuck = await doctor(sandbox, ['--json', '--queued-minutes', '10']);
    expect(stuck.code).toBe(1);
    expect(stuck.byCheck('queued-jobs')).toMatchObject({ status: 'FAIL', message: expect.stringContaining(`ecs-runner-${lost} (30 min), is never dispatched`) });
    expect(stuck.byCheck('queued-jobs')!.details!.jobs).toHaveLength(2);
    for (const id of [slot, lost]) {
      const record = (await sandbox.store.get(`ecs-runner-${id}`))!;
      await sandbox.store.transition(record, 'cancelled', { statusReason: 'test cleanup' });
    }
  });

  it('names events in the dead-letter queue, and the control plane\'s own ERROR lines (dispatch failing while GitHub is down)', async () => {
    const errorsBefore = ((await doctor(sandbox)).byCheck('lambda-errors')!.details?.count as number | undefined) ?? 0;
    sandbox.github.faults.downUntil = Date.now() + 3_600_000;
    const id = nextJobId();
    try {
      await sandbox.webhooks.send('workflow_job', workflowJobPayload('queued', repo, { id, runId: id - 1, labels: ['self-hosted'] }));
      await sandbox.settle();
    } finally {
      sandbox.github.faults.downUntil = 0;
    }
    expect(sandbox.deadLetters().length).toBeGreaterThan(0);
    const run = await doctor(sandbox);
    expect(run.code).toBe(1);
    expect(run.byCheck('dead-letter-queue')).toMatchObject({ status: 'FAIL', message: expect.stringMatching(new RegExp(`^${sandbox.deadLetters().length} events? in the dead-letter queue`)) });
    // The Lambda's log group holds what the real control plane logged at ERROR meanwhile.
    expect(run.byCheck('lambda-errors')).toMatchObject({ status: 'FAIL' });
    expect(run.byCheck('lambda-errors')!.details!.count as number).toBeGreaterThan(errorsBefore);
  });
});

describe('ecsrunner doctor with a GitHub App, and the fleet found from its descriptor', () => {
  let sandbox: Sandbox & { problems: string[] };
  const repo = 'octo-org/octo-repo';
  let idle: string;

  beforeAll(async () => {
    // Autopilot off: the runner stays idle, as one waiting for its job.
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0', SANDBOX_GITHUB_AUTH: 'app' });
    const id = nextJobId();
    await sandbox.webhooks.send('workflow_job', workflowJobPayload('queued', repo, { id, runId: id - 1, labels: ['self-hosted'] }));
    await sandbox.settle();
    idle = `ecs-runner-${id}`;
  }, 60_000 * TIME_SCALE);
  afterAll(() => sandbox.stop());

  it('checks GitHub with the App\'s installation token, as the Lambda authenticates', async () => {
    const run = await doctor(sandbox);
    expect(problems(run)).toEqual([]);
    expect(run.byCheck('github-credential')!.message).toContain('GitHub App works on octo-org/octo-repo');
  });

  it('finds the table from ECSRUNNER_FLEET alone (one GetParameter), and an explicit RUNNER_TABLE wins over the descriptor', async () => {
    sandbox.resetCounters();
    const fromDescriptor = await ecsrunner(sandbox, ['runners', 'list', '--json']);
    expect(fromDescriptor.code).toBe(0);
    expect(JSON.stringify(JSON.parse(fromDescriptor.stdout))).toContain(idle);
    expect(sandbox.awsCalls['SSM.GetParameter']).toBe(1);
    // With every setting the command uses given, the descriptor is not read at all.
    sandbox.resetCounters();
    const explicitAll = await ecsrunner(sandbox, ['runners', 'list', '--json'], { RUNNER_TABLE: sandbox.cliEnv.RUNNER_TABLE!, CLASS_SIZES_PARAM: sandbox.cliEnv.CLASS_SIZES_PARAM! });
    expect(explicitAll.code).toBe(0);
    expect(sandbox.awsCalls['SSM.GetParameter']).toBeUndefined();
    const explicit = await ecsrunner(sandbox, ['runners', 'list', '--json'], { RUNNER_TABLE: 'another-table' });
    expect(explicit.code).toBe(5);
    expect((JSON.parse(explicit.stdout) as { error: { message: string } }).error.message).toContain('"another-table" was not found');
  });

  it('says which descriptor is missing when ECSRUNNER_FLEET names no fleet: a configuration error (exit 3), the doctor\'s first FAIL', async () => {
    const list = await ecsrunner(sandbox, ['runners', 'list'], { ECSRUNNER_FLEET: 'no-such-fleet' });
    expect(list.code).toBe(3);
    expect(list.stderr).toContain('The fleet descriptor /no-such-fleet/fleet was not found: check --fleet / ECSRUNNER_FLEET');
    const run = await ecsrunner(sandbox, ['doctor', '--json'], { ECSRUNNER_FLEET: 'no-such-fleet' });
    expect(run.code).toBe(1);
    const results = JSON.parse(run.stdout) as CheckResult[];
    expect(results[0]).toMatchObject({ check: 'configuration', status: 'FAIL', message: expect.stringContaining('/no-such-fleet/fleet was not found') });
    // The checks that need no descriptor still run.
    expect(results.find((r) => r.check === 'aws-identity')).toMatchObject({ status: 'PASS' });
    expect(results.find((r) => r.check === 'lambda')).toMatchObject({ status: 'WARN', message: expect.stringContaining('Not checked') });
  });

  it('names a runner stuck idle past its timeout (housekeeping is not reaping it)', async () => {
    await backdate(sandbox, idle, ['updatedAt'], 60);
    const run = await doctor(sandbox);
    expect(run.byCheck('stuck-runners')).toMatchObject({ status: 'FAIL', details: { stuck: [{ runnerId: idle, status: 'idle', minutes: 60 }] } });
  });

  it('names ghosts on GitHub and orphan tasks on ECS when a runner\'s record is lost', async () => {
    await tableClient(sandbox).send(new DeleteCommand({ TableName: sandbox.controlPlaneEnv.RUNNER_TABLE, Key: { runnerId: idle } }));
    // Another fleet's runner is not ours to report.
    sandbox.github.runners.set(998, { id: 998, name: 'someone-else-1', labels: ['self-hosted'], status: 'offline', busy: false, jitUsed: true });
    const run = await doctor(sandbox);
    expect(run.byCheck('ghost-runners')).toMatchObject({ status: 'WARN', details: { ghosts: [{ name: idle, status: 'online' }] } });
    expect(run.byCheck('orphan-tasks')).toMatchObject({ status: 'WARN', details: { orphans: [{ startedBy: idle, lastStatus: 'RUNNING' }] } });
    expect(run.byCheck('orphan-tasks')!.message).toContain('aws ecs stop-task --cluster runner-fleet');
  });
});

describe('ecsrunner doctor when GitHub cannot be reached', () => {
  let sandbox: Sandbox & { problems: string[] };
  let closedPort = 0;
  beforeAll(async () => {
    // A port nothing listens on any more: as from a network with no route to GitHub.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    closedPort = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0', GITHUB_API_URL: `http://127.0.0.1:${closedPort}` });
  });
  afterAll(() => sandbox.stop());

  it('fails the GitHub checks with the cause and what to check, and still runs every other check', async () => {
    const run = await doctor(sandbox);
    expect(run.code).toBe(1);
    expect(run.byCheck('github-credential')).toMatchObject({ status: 'FAIL', message: expect.stringMatching(new RegExp(`^Could not reach GitHub at http://127\\.0\\.0\\.1:${closedPort} \\(ECONNREFUSED\\).*proxy, firewall, DNS`)) });
    expect(run.byCheck('runner-version')?.status).toBe('WARN');
    for (const check of ['aws-identity', 'runner-table', 'class-sizes', 'lambda', 'dead-letter-queue', 'orphan-tasks']) expect(run.byCheck(check)?.status).toBe('PASS');
  });
});
