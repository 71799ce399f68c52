import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { workflowJobPayload, type Sandbox } from '../../src/index.js';
import { nextJobId, startTestSandbox, TIME_SCALE } from './harness.js';

const BIN = fileURLToPath(new URL('../../../cli/bin/run.js', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: () => Record<string, unknown>;
}

/** ecsrunner as an operator runs it: the built binary, with the sandbox's printed exports. */
function ecsrunner(sandbox: Sandbox, args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { env: { PATH: process.env.PATH, HOME: process.env.HOME, AWS_EC2_METADATA_DISABLED: 'true', ...sandbox.cliEnv, ...env } as NodeJS.ProcessEnv, timeout: 20_000 * TIME_SCALE },
      (error, stdout, stderr) =>
        resolve({
          code: error ? Number((error as { code?: number }).code ?? 1) : 0,
          stdout,
          // oclif wraps messages at the terminal width behind " ›"; compare the sentence itself.
          stderr: stderr.replace(/\s*›\s*/g, ' ').replace(/\s+/g, ' ').trim(),
          json: () => JSON.parse(stdout) as Record<string, unknown>,
        }),
    );
    child.stdin?.end();
  });
}

/** ecsrunner on a pseudo-terminal (util-linux `script`), typing `input` at its prompt. */
function onTerminal(sandbox: Sandbox, args: string[], input: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const command = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    const child = execFile('script', ['-qec', command, '/dev/null'], { env: { PATH: process.env.PATH, HOME: process.env.HOME, AWS_EC2_METADATA_DISABLED: 'true', ...sandbox.cliEnv } as NodeJS.ProcessEnv, timeout: 20_000 * TIME_SCALE }, (error, stdout) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, output: stdout.replace(/\s*›\s*/g, ' ').replace(/\s+/g, ' ') }),
    );
    // Answer once the prompt appears (polling the output, not a fixed wait: the machine may be loaded).
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('[y/N]')) child.stdin?.end(input);
    });
  });
}

/**
 * ecsrunner left running (--watch): resolves once `enough` holds for what it printed, after
 * stopping it with SIGINT as Ctrl-C would. On a terminal (`script`) the session is ended instead.
 */
function untilPrinted(sandbox: Sandbox, args: string[], enough: (output: string) => boolean, options: { terminal?: boolean; env?: Record<string, string> } = {}): Promise<{ code: number | null; output: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, AWS_EC2_METADATA_DISABLED: 'true', ...sandbox.cliEnv, ...options.env } as NodeJS.ProcessEnv;
    const command = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    const child = options.terminal ? spawn('script', ['-qec', command, '/dev/null'], { env }) : spawn(process.execPath, [BIN, ...args], { env });
    let output = '';
    let stderr = '';
    let stopped = false;
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ecsrunner ${args.join(' ')} did not print what was expected in time; it printed:\n${output}\n${stderr}`));
    }, 30_000 * TIME_SCALE);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (!stopped && enough(output)) {
        stopped = true;
        child.kill(options.terminal ? 'SIGTERM' : 'SIGINT');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, output, stderr });
    });
  });
}

const count = (text: string, part: string) => text.split(part).length - 1;
/** Any of the status colours ecsrunner uses (SGR 2 and 31–36). */
const hasColour = (text: string) => [2, 31, 32, 33, 34, 35, 36].some((sgr) => text.includes(`\u001b[${sgr}m`));

describe('ecsrunner against the sandbox', () => {
  let sandbox: Sandbox & { problems: string[] };
  const repo = 'octo-org/octo-repo';
  let idleA: string;
  let idleB: string;
  let failed: string;

  beforeAll(async () => {
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0' });
    const send = async (labels: string[]) => {
      const id = nextJobId();
      await sandbox.webhooks.send('workflow_job', workflowJobPayload('queued', repo, { id, runId: id - 1, labels }));
      await sandbox.settle();
      return `ecs-runner-${id}`;
    };
    idleA = await send(['self-hosted', 'class:medium']);
    idleB = await send(['self-hosted']);
    failed = await send(['self-hosted', 'class:gigantic']);
    // A runner that finished two days ago: hidden unless --all.
    const old = new Date(Date.now() - 2 * 86_400_000).toISOString();
    await sandbox.store.create({ runnerId: 'ecs-runner-1', status: 'completed', repo: 'octo-org/other', jobId: 1, runId: 1, runAttempt: 1, labels: ['self-hosted'], createdAt: old, updatedAt: old, finishedAt: old, version: 3 });
  }, 60_000 * TIME_SCALE);
  afterAll(() => sandbox.stop());

  describe('runners list', () => {
    it('lists the live runners newest first, for a person and as JSON', async () => {
      const human = await ecsrunner(sandbox, ['runners', 'list']);
      expect(human.code).toBe(0);
      expect(human.stdout).toMatch(/Runner\s+Status\s+Class\s+Repo\s+Job\s+Age\s+Task/);
      expect(human.stdout.indexOf(idleB)).toBeLessThan(human.stdout.indexOf(idleA));
      expect(human.stdout).not.toContain(failed);
      expect(human.stdout).not.toContain('ecs-runner-1 ');
      // Not a terminal: no colours.
      expect(hasColour(human.stdout)).toBe(false);

      const json = (await ecsrunner(sandbox, ['runners', 'list', '--json'])).json();
      expect((json.runners as Array<{ runnerId: string; status: string }>).map((r) => [r.runnerId, r.status])).toEqual([
        [idleB, 'idle'],
        [idleA, 'idle'],
      ]);
      expect(json).toEqual(expect.objectContaining({ count: 2, truncated: false }));
      expect(json).not.toHaveProperty('nextToken');
    });

    it('lists every status created within --since, and filters by status through the index', async () => {
      const recent = (await ecsrunner(sandbox, ['runners', 'list', '--since', '1d', '--json'])).json();
      expect((recent.runners as Array<{ runnerId: string }>).map((r) => r.runnerId)).toEqual([failed, idleB, idleA]);
      const idle = (await ecsrunner(sandbox, ['runners', 'list', '--status', 'idle', '--limit', '1', '--json'])).json();
      expect(idle).toMatchObject({ count: 1, truncated: true, runners: [{ runnerId: idleB, status: 'idle' }] });
    });

    it('shows terminal runners of any age with --all, and filters by repository', async () => {
      const all = (await ecsrunner(sandbox, ['runners', 'list', '--all', '--json'])).json();
      expect((all.runners as Array<{ runnerId: string }>).map((r) => r.runnerId)).toEqual([failed, idleB, idleA, 'ecs-runner-1']);
      const other = (await ecsrunner(sandbox, ['runners', 'list', '--all', '--repo', 'octo-org/other', '--json'])).json();
      expect(other).toMatchObject({ count: 1, runners: [{ runnerId: 'ecs-runner-1' }] });
      const none = await ecsrunner(sandbox, ['runners', 'list', '--repo', 'nobody/nothing']);
      expect(none.stdout).toContain('No runners match.');
    });

    it('pages through the history with --limit and the token each page prints', async () => {
      const first = await ecsrunner(sandbox, ['runners', 'list', '--all', '--limit', '3', '--json']);
      expect(first.json()).toMatchObject({ count: 3, truncated: true, nextToken: expect.any(String) });
      const token = first.json().nextToken as string;
      const second = (await ecsrunner(sandbox, ['runners', 'list', '--all', '--limit', '3', '--starting-token', token, '--json'])).json();
      expect(second).toMatchObject({ count: 1, truncated: false, runners: [{ runnerId: 'ecs-runner-1' }] });
      const human = await ecsrunner(sandbox, ['runners', 'list', '--all', '--limit', '3']);
      expect(human.stdout).toContain(`Showing the newest 3; more match. Next page: --starting-token ${token} (or raise --limit).`);
      // Within a --since window too (the index query bounded on both sides).
      const recent = (await ecsrunner(sandbox, ['runners', 'list', '--since', '1d', '--limit', '2', '--json'])).json();
      expect(recent).toMatchObject({ count: 2, truncated: true, runners: [{ runnerId: failed }, { runnerId: idleB }] });
      const rest = (await ecsrunner(sandbox, ['runners', 'list', '--since', '1d', '--limit', '2', '--starting-token', recent.nextToken as string, '--json'])).json();
      expect(rest).toMatchObject({ count: 1, truncated: false, runners: [{ runnerId: idleA }] });
    });

    it('refuses a --since that is not a duration, and a token it did not print', async () => {
      const run = await ecsrunner(sandbox, ['runners', 'list', '--since', 'yesterday']);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('--since "yesterday" is not a duration; use a number and a unit: 90s, 30m, 2h, 7d or 1w.');
      const token = await ecsrunner(sandbox, ['runners', 'list', '--starting-token', 'bm90LWEtdG9rZW4', '--json']);
      expect(token.code).toBe(2);
      expect(token.json()).toEqual({ error: { code: 'usage', exitCode: 2, message: expect.stringContaining('is not a token runners list printed') } });
    });

    it('colours the status on a terminal, and not with NO_COLOR', async () => {
      const coloured = await untilPrinted(sandbox, ['runners', 'list'], (out) => out.includes(idleA), { terminal: true });
      expect(coloured.output).toMatch(new RegExp(`\\u001b\\[36midle\\u001b\\[0m`));
      const plain = await untilPrinted(sandbox, ['runners', 'list'], (out) => out.includes(idleA), { terminal: true, env: { NO_COLOR: '1' } });
      expect(plain.output).toContain(idleA);
      expect(hasColour(plain.output)).toBe(false);
      // oclif's own colours (help headings, the error marker) obey NO_COLOR too.
      for (const args of [['runners', 'list', '--help'], ['runners', 'list', '--bogus']]) {
        const run = await untilPrinted(sandbox, args, () => false, { terminal: true, env: { NO_COLOR: '1' } });
        expect({ args, output: run.output.length > 0, escapes: run.output.includes('\u001b') }).toEqual({ args, output: true, escapes: false });
      }
    });

    it('--watch prints the listing again and again when not on a terminal, until Ctrl-C', async () => {
      const run = await untilPrinted(sandbox, ['runners', 'list', '--watch', '--interval', '1s'], (out) => count(out, 'Every 1s: ecsrunner runners list') >= 2);
      expect(run.code).toBe(0);
      expect(count(run.output, idleA)).toBeGreaterThanOrEqual(2);
      expect(run.output).not.toContain('\u001b[');
      const json = await untilPrinted(sandbox, ['runners', 'list', '--watch', '--interval', '1s', '--json'], (out) => count(out, '\n') >= 2);
      const frames = json.output.trim().split('\n').map((line) => JSON.parse(line) as { count: number });
      expect(frames.slice(0, 2)).toEqual([expect.objectContaining({ count: 2 }), expect.objectContaining({ count: 2 })]);
    });

    it('--watch redraws in place on a terminal', async () => {
      const run = await untilPrinted(sandbox, ['runners', 'list', '--watch', '--interval', '1s'], (out) => count(out, '\u001b[H\u001b[2J') >= 2, { terminal: true });
      expect(count(run.output, 'Every 1s: ecsrunner runners list')).toBeGreaterThanOrEqual(2);
      const interval = await ecsrunner(sandbox, ['runners', 'list', '--interval', '2s', '--json']);
      expect(interval.code).toBe(2);
      expect(interval.json()).toMatchObject({ error: { code: 'usage', message: expect.stringContaining('--watch') } });
    });
  });

  describe('runners details', () => {
    it("shows the record with its task's live state and log location", async () => {
      const json = (await ecsrunner(sandbox, ['runners', 'details', idleA, '--json'])).json();
      expect(json).toMatchObject({
        runner: { runnerId: idleA, status: 'idle', runnerClass: 'medium' },
        taskKnownToEcs: true,
        task: { lastStatus: 'RUNNING', cpu: '1024', memory: '2048', cluster: 'runner-fleet' },
        logs: { group: '/ecs/runner-fleet/runner' },
      });
      const human = await ecsrunner(sandbox, ['runners', 'details', idleA]);
      expect(human.stdout).toMatch(/Task status\s+RUNNING \(desired RUNNING\)/);
      expect(human.stdout).toMatch(/Class\s+medium \(1024 CPU units, 2048 MiB\)/);
    });

    it('says how to find the right id when the runner does not exist', async () => {
      const run = await ecsrunner(sandbox, ['runners', 'details', 'ecs-runner-404']);
      expect(run.code).toBe(6);
      expect(run.stderr).toContain('Runner "ecs-runner-404" was not found in table runner-fleet-runners. List runners with: ecsrunner runners list --all');
    });
  });

  describe('runners logs', () => {
    it("prints the runner's log stream", async () => {
      const run = await ecsrunner(sandbox, ['runners', 'logs', idleA]);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`Listening for Jobs (runner ${idleA})`);
      const json = (await ecsrunner(sandbox, ['runners', 'logs', idleA, '--json'])).json();
      expect((json.events as Array<{ message: string }>).map((e) => e.message)).toEqual(['√ Connected to GitHub', "Current runner version: '2.335.1'", `Listening for Jobs (runner ${idleA})`]);
    });

    it('follows the stream until the runner finishes', async () => {
      const following = ecsrunner(sandbox, ['runners', 'logs', idleB, '--follow', '--poll-interval', '1']);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const task = [...sandbox.ecs.tasks.values()].find((t) => t.startedBy === idleB)!;
      sandbox.logs.write('/ecs/runner-fleet/runner', `runner/runner/${task.taskArn.split('/').pop()}`, ['a line written while following']);
      sandbox.ecs.exitTask(task.taskArn, 1, 'runner crashed');
      await sandbox.settle();
      const run = await following;
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('a line written while following');
      expect((await sandbox.store.get(idleB))?.status).toBe('failed');
      // It crashed before taking its job, which GitHub still reports queued: a replacement runs it.
      expect((await sandbox.store.get(`${idleB}r1`))?.status).toBe('idle');
    });

    it('explains that a runner without a task has no logs', async () => {
      const run = await ecsrunner(sandbox, ['runners', 'logs', failed]);
      expect(run.code).toBe(11);
      expect(run.stderr).toContain(`Runner ${failed} has no task yet (failed); there are no logs to read.`);
    });
  });

  describe('runners terminate', () => {
    it('refuses without --yes when there is no terminal to confirm on, and changes nothing', async () => {
      const run = await ecsrunner(sandbox, ['runners', 'terminate', idleA]);
      expect(run.code).toBe(9);
      expect(run.stderr).toContain('Refusing to terminate without confirmation: there is no terminal to ask on. Pass --yes.');
      expect((await sandbox.store.get(idleA))?.status).toBe('idle');
    });

    it('asks on a terminal, and changes nothing when the answer is no', async () => {
      const answered = await onTerminal(sandbox, ['runners', 'terminate', idleA], 'n\n');
      expect(answered.code).toBe(10);
      expect(answered.output).toContain(`Terminate runner ${idleA} (idle, job`);
      expect(answered.output).toContain('Aborted; nothing was changed.');
      expect((await sandbox.store.get(idleA))?.status).toBe('idle');
    });

    it('stops the task and records terminated with the reason', async () => {
      const run = await ecsrunner(sandbox, ['runners', 'terminate', idleA, '--yes', '--reason', 'stuck on a hung test', '--json']);
      expect(run.code).toBe(0);
      expect(run.json()).toEqual({ runnerId: idleA, previousStatus: 'idle', status: 'terminated', statusReason: 'stuck on a hung test', taskStopped: true });
      await sandbox.settle();
      expect(await sandbox.store.get(idleA)).toMatchObject({ status: 'terminated', statusReason: 'stuck on a hung test' });
      const task = [...sandbox.ecs.tasks.values()].find((t) => t.startedBy === idleA)!;
      expect(task).toMatchObject({ lastStatus: 'STOPPED', stopCode: 'UserInitiated' });
      expect(task.stoppedReason).toMatch(/^Terminated by .+ with ecsrunner: stuck on a hung test$/);
      // The runner never took a job: the control plane removes it from GitHub once the task stops.
      expect(sandbox.github.findRunnerByName(idleA)).toBeUndefined();
    });

    it('refuses a runner that has already finished, with its own exit code', async () => {
      const run = await ecsrunner(sandbox, ['runners', 'terminate', idleA, '--yes']);
      expect(run.code).toBe(7);
      expect(run.stderr).toContain(`Runner ${idleA} has already finished (terminated`);
    });
  });

  describe('list-class-sizes and status', () => {
    it('shows the class sizes from the parameter', async () => {
      const json = (await ecsrunner(sandbox, ['list-class-sizes', '--json'])).json();
      expect(json.classes).toEqual([
        { name: 'small', cpu: 512, memory: 1024, vcpu: 0.5, memoryGiB: 1, spot: false },
        { name: 'medium', cpu: 1024, memory: 2048, vcpu: 1, memoryGiB: 2, spot: false },
        { name: 'large', cpu: 2048, memory: 4096, vcpu: 2, memoryGiB: 4, spot: false },
      ]);
      const human = await ecsrunner(sandbox, ['list-class-sizes']);
      expect(human.stdout).toMatch(/medium\s+1\s+2\s+no/);
    });

    it('counts runners per status, against the cap, with the last day of failures', async () => {
      const json = (await ecsrunner(sandbox, ['status', '--json'])).json();
      expect(json).toMatchObject({
        // idle: the replacement of the runner that crashed before its job (runners logs --follow).
        counts: { idle: 1, failed: 2, terminated: 1, completed: 1, busy: 0, queued: 0 },
        active: 1,
        maxRunners: 100,
        slotsHeld: 1,
      });
      expect(json.failuresLast24h).toEqual(
        expect.arrayContaining([{ reason: 'label "class:gigantic" names an unknown class; known classes: large, medium, small', count: 1 }]),
      );
      const human = await ecsrunner(sandbox, ['status']);
      expect(human.stdout).toContain('Active runners: 1 of 100 (starting 0, idle 1, busy 0); queued 0; runner slots held 1');
    });

    it('explains a malformed class-sizes parameter', async () => {
      const ssm = new SSMClient({ endpoint: sandbox.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
      await ssm.send(new PutParameterCommand({ Name: '/broken/class-sizes', Type: 'String', Value: '{"tiny":{"cpu":100,"memory":100}}' }));
      const run = await ecsrunner(sandbox, ['list-class-sizes', '--class-sizes-param', '/broken/class-sizes']);
      expect(run.code).toBe(8);
      expect(run.stderr).toContain('The class-sizes parameter /broken/class-sizes is malformed');
    });
  });

  describe('configuration and AWS errors', () => {
    it('names the missing variable and the Terraform output that provides it', async () => {
      // Neither the variable nor a fleet descriptor to take it from.
      const noTable = await ecsrunner(sandbox, ['runners', 'list'], { RUNNER_TABLE: undefined, ECSRUNNER_FLEET: undefined });
      expect(noTable.code).toBe(3);
      expect(noTable.stderr).toContain('RUNNER_TABLE is not set');
      expect(noTable.stderr).toContain('cli_environment');
      expect(noTable.stderr).toContain('ECSRUNNER_FLEET');
      const noParam = await ecsrunner(sandbox, ['list-class-sizes'], { CLASS_SIZES_PARAM: undefined, ECSRUNNER_FLEET: undefined });
      expect(noParam.code).toBe(3);
      expect(noParam.stderr).toContain('CLASS_SIZES_PARAM is not set');
    });

    it('says which table or parameter does not exist', async () => {
      const table = await ecsrunner(sandbox, ['runners', 'list', '--table', 'no-such-table']);
      expect(table.code).toBe(5);
      expect(table.stderr).toContain('DynamoDB table "no-such-table" was not found');
      const param = await ecsrunner(sandbox, ['list-class-sizes', '--class-sizes-param', '/no/such']);
      expect(param.code).toBe(5);
      expect(param.stderr).toContain('SSM parameter "/no/such" was not found');
    });

    it('says when there are no credentials, without a stack trace', async () => {
      const run = await ecsrunner(sandbox, ['runners', 'list'], {
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
        AWS_CONFIG_FILE: '/nonexistent/config',
      });
      expect(run.code).toBe(4);
      expect(run.stderr).toContain('AWS credentials are missing or expired');
      expect(run.stderr).not.toMatch(/ at \S+ \(/);
    });

    it('with --json, prints every failure as one small JSON line on stdout with its exit code', async () => {
      const noCredentials = { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials', AWS_CONFIG_FILE: '/nonexistent/config' };
      // A record that breaks DESIGN §4 (no labels): describing it is a genuine bug path.
      const at = new Date().toISOString();
      await sandbox.store.create({ runnerId: 'ecs-runner-2', status: 'failed', repo: 'octo-org/other', jobId: 2, runId: 2, runAttempt: 1, createdAt: at, updatedAt: at, finishedAt: at, version: 1 } as never);
      const modes: Array<{ args: string[]; env?: Record<string, string | undefined>; code: string; exit: number; says: string }> = [
        { args: ['runners', 'list', '--bogus'], code: 'usage', exit: 2, says: 'Nonexistent flag: --bogus' },
        { args: ['runners', 'list', '--limit', '0'], code: 'usage', exit: 2, says: '--limit' },
        { args: ['runners', 'list', '--status', 'sleeping'], code: 'usage', exit: 2, says: 'sleeping' },
        { args: ['runners', 'details'], code: 'usage', exit: 2, says: 'runnerId' },
        { args: ['runners', 'nonsense'], code: 'usage', exit: 2, says: 'not found' },
        { args: ['runners', 'list'], env: { RUNNER_TABLE: undefined, ECSRUNNER_FLEET: undefined }, code: 'configuration', exit: 3, says: 'RUNNER_TABLE is not set' },
        { args: ['runners', 'list'], env: noCredentials, code: 'credentials', exit: 4, says: 'AWS credentials are missing or expired' },
        { args: ['runners', 'list', '--table', 'no-such-table'], code: 'resourceNotFound', exit: 5, says: 'DynamoDB table "no-such-table" was not found' },
        { args: ['runners', 'details', 'ecs-runner-404'], code: 'runnerNotFound', exit: 6, says: 'was not found' },
        { args: ['runners', 'list'], env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:9' }, code: 'awsError', exit: 12, says: 'Could not reach AWS (ECONNREFUSED' },
        { args: ['runners', 'details', 'ecs-runner-2'], code: 'unexpected', exit: 1, says: 'set DEBUG=* for details' },
      ];
      for (const mode of modes) {
        const run = await ecsrunner(sandbox, [...mode.args, '--json'], mode.env);
        const what = `ecsrunner ${mode.args.join(' ')} --json`;
        expect({ what, code: run.code, lines: run.stdout.trim().split('\n').length, small: Buffer.byteLength(run.stdout) < 2048, stderr: run.stderr }).toEqual({ what, code: mode.exit, lines: 1, small: true, stderr: '' });
        expect({ what, ...run.json() }).toEqual({ what, error: { code: mode.code, exitCode: mode.exit, message: expect.stringContaining(mode.says) } });
      }
    });

    it('without --json, says what went wrong in one sentence on stderr, with the stack only under DEBUG', async () => {
      const flag = await ecsrunner(sandbox, ['runners', 'list', '--bogus']);
      expect(flag).toMatchObject({ code: 2, stdout: '', stderr: 'Error: Nonexistent flag: --bogus. See --help.' });
      const bug = await ecsrunner(sandbox, ['runners', 'details', 'ecs-runner-2']);
      expect(bug.code).toBe(1);
      expect(bug.stderr).toMatch(/^Error: .+ \(an unexpected error; set DEBUG=\* for details\)$/);
      const debug = await ecsrunner(sandbox, ['runners', 'details', 'ecs-runner-2'], { DEBUG: '*' });
      expect(debug.code).toBe(1);
      expect(debug.stderr).toMatch(/ at \S+ \(/);
    });

    it('teaches with --help', async () => {
      const run = await ecsrunner(sandbox, ['runners', 'list', '--help']);
      expect(run.stdout).toContain('EXAMPLES');
      expect(run.stdout).toContain('ecsrunner runners list --watch --interval 2s');
      expect(run.stdout).toMatch(/FLEET FLAGS[\s\S]*--table=<value>/);
    });
  });

  describe('what a listing costs', () => {
    it('lists live runners with one status-index query per live status, however much history the table holds', async () => {
      const old = Date.now() - 3 * 86_400_000;
      for (let i = 0; i < 120; i++) {
        const at = new Date(old - i * 60_000).toISOString();
        await sandbox.store.create({ runnerId: `ecs-runner-h${i}`, status: i % 10 === 0 ? 'failed' : 'completed', repo, jobId: 10_000 + i, runId: 1, runAttempt: 1, labels: ['self-hosted'], createdAt: at, updatedAt: at, finishedAt: at, version: 3 });
      }
      await sandbox.settle();
      sandbox.resetCounters();
      const run = await ecsrunner(sandbox, ['runners', 'list', '--limit', '10', '--json']);
      expect(run.code).toBe(0);
      expect(run.json()).toMatchObject({ truncated: false });
      const dynamo = Object.entries(sandbox.awsCalls).filter(([call]) => call.startsWith('DynamoDB.'));
      expect(Object.fromEntries(dynamo)).toEqual({ 'DynamoDB.Query': 5 });
    });
  });
});
