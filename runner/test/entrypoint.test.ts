import { describe, expect, it } from '@jest/globals';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RUNNER = fileURLToPath(new URL('..', import.meta.url));
const ENTRYPOINT = join(RUNNER, 'entrypoint.sh');

/** A runner directory whose run.sh stands in for the real one: it records how it was started. */
function standIn(script: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'runner-'));
  writeFileSync(join(dir, 'run.sh'), `#!/usr/bin/env bash\n${script}\n`);
  chmodSync(join(dir, 'run.sh'), 0o755);
  return dir;
}

function entrypoint(env: Record<string, string>) {
  return spawnSync('bash', [ENTRYPOINT], { env: { PATH: process.env.PATH!, ...env }, encoding: 'utf8', timeout: 10_000 });
}

describe('runner/entrypoint.sh (with a stand-in run.sh; no Docker engine here)', () => {
  it('is shellcheck clean, like the install script', () => {
    const found = spawnSync('shellcheck', ['--version']);
    if (found.error) throw new Error('shellcheck is not installed: apt-get install shellcheck (.ci/run installs it).');
    expect(() => execFileSync('shellcheck', [ENTRYPOINT, join(RUNNER, 'install-runner.sh'), ...['run.sh', 'run-helper.sh', 'bin/Runner.Listener', 'bin/installdependencies.sh'].map((f) => join(RUNNER, 'test/image/standin', f))], { encoding: 'utf8' })).not.toThrow();
  });

  it('refuses to start without a JIT configuration, saying where it comes from', () => {
    const out = entrypoint({ RUNNER_DIR: standIn('exit 0') });
    expect(out.status).toBe(78);
    expect(out.stderr).toContain('RUNNER_JITCONFIG is not set. This image runs one just-in-time runner');
  });

  it('refuses to start when the image has no runner', () => {
    const out = entrypoint({ RUNNER_DIR: mkdtempSync(join(tmpdir(), 'empty-')), RUNNER_JITCONFIG: 'abc' });
    expect(out.status).toBe(78);
    expect(out.stderr).toContain('run.sh missing');
  });

  it('starts run.sh --jitconfig, keeps the config out of the job environment, and exits with its status', () => {
    const dir = standIn('printf "%s\\n" "$@" > "$(dirname "$0")/args"; env > "$(dirname "$0")/env"; exit 3');
    const out = entrypoint({ RUNNER_DIR: dir, RUNNER_JITCONFIG: 'eyJzZWNyZXQiOnRydWV9' });
    expect(out.status).toBe(3);
    expect(readFileSync(join(dir, 'args'), 'utf8')).toBe('--jitconfig\neyJzZWNyZXQiOnRydWV9\n');
    expect(readFileSync(join(dir, 'env'), 'utf8')).not.toContain('RUNNER_JITCONFIG');
  });

  it('replaces itself with run.sh (exec), so run.sh is the main process and gets SIGTERM directly', async () => {
    const dir = standIn('echo $$ > "$(dirname "$0")/pid"');
    const child = spawn('bash', [ENTRYPOINT], { env: { PATH: process.env.PATH!, RUNNER_DIR: dir, RUNNER_JITCONFIG: 'x' } });
    expect(await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))).toBe(0);
    expect(readFileSync(join(dir, 'pid'), 'utf8').trim()).toBe(String(child.pid));
  });

  it("delivers Fargate's SIGTERM to run.sh and exits when the runner does", async () => {
    const dir = standIn('trap \'echo stopped > "$(dirname "$0")/term"; exit 0\' TERM\necho ready > "$(dirname "$0")/ready"\nwhile true; do sleep 0.05; done');
    const child = spawn('bash', [ENTRYPOINT], { env: { PATH: process.env.PATH!, RUNNER_DIR: dir, RUNNER_JITCONFIG: 'x' } });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    for (let i = 0; i < 200 && !existsSync(join(dir, 'ready')); i++) await new Promise((r) => setTimeout(r, 25));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(readFileSync(join(dir, 'term'), 'utf8')).toBe('stopped\n');
  });
});
