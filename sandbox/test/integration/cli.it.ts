import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
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
    it('lists live and recent runners newest first, for a person and as JSON', async () => {
      const human = await ecsrunner(sandbox, ['runners', 'list']);
      expect(human.code).toBe(0);
      expect(human.stdout).toMatch(/Runner\s+Status\s+Class\s+Repo\s+Job\s+Age\s+Task/);
      expect(human.stdout.indexOf(failed)).toBeLessThan(human.stdout.indexOf(idleB));
      expect(human.stdout.indexOf(idleB)).toBeLessThan(human.stdout.indexOf(idleA));
      expect(human.stdout).not.toContain('ecs-runner-1 ');

      const json = (await ecsrunner(sandbox, ['runners', 'list', '--json'])).json();
      expect((json.runners as Array<{ runnerId: string; status: string }>).map((r) => [r.runnerId, r.status])).toEqual([
        [failed, 'failed'],
        [idleB, 'idle'],
        [idleA, 'idle'],
      ]);
      expect(json).toMatchObject({ count: 3, truncated: false });
    });

    it('filters by status through the index and says when more match', async () => {
      const json = (await ecsrunner(sandbox, ['runners', 'list', '--status', 'idle', '--limit', '1', '--json'])).json();
      expect(json).toMatchObject({ count: 1, truncated: true, runners: [{ runnerId: idleB, status: 'idle' }] });
    });

    it('shows terminal runners of any age with --all, and filters by repository', async () => {
      const all = (await ecsrunner(sandbox, ['runners', 'list', '--all', '--json'])).json();
      expect((all.runners as Array<{ runnerId: string }>).map((r) => r.runnerId)).toContain('ecs-runner-1');
      const other = (await ecsrunner(sandbox, ['runners', 'list', '--all', '--repo', 'octo-org/other', '--json'])).json();
      expect(other).toMatchObject({ count: 1, runners: [{ runnerId: 'ecs-runner-1' }] });
      const none = await ecsrunner(sandbox, ['runners', 'list', '--repo', 'nobody/nothing']);
      expect(none.stdout).toContain('No runners match. Terminal runners older than 24 h are hidden; add --all to see them.');
    });

    it('refuses a --since that is not a duration', async () => {
      const run = await ecsrunner(sandbox, ['runners', 'list', '--since', 'yesterday']);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('--since "yesterday" is not a duration; use a number and a unit: 90s, 30m, 2h, 7d or 1w.');
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

    it('puts the error in the JSON output too', async () => {
      const run = await ecsrunner(sandbox, ['runners', 'details', 'ecs-runner-404', '--json']);
      expect(run.code).toBe(6);
      expect(run.json()).toEqual({ error: { message: expect.stringContaining('was not found'), exitCode: 6 } });
    });

    it('teaches with --help', async () => {
      const run = await ecsrunner(sandbox, ['runners', 'list', '--help']);
      expect(run.stdout).toContain('EXAMPLES');
      expect(run.stdout).toContain('ecsrunner runners list --status busy --status idle');
      expect(run.stdout).toMatch(/FLEET FLAGS[\s\S]*--table=<value>/);
    });
  });
});
