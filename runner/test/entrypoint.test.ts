import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RUNNER = fileURLToPath(new URL('..', import.meta.url));
const ENTRYPOINT = join(RUNNER, 'entrypoint.sh');
const FETCH = join(RUNNER, 'jit-config.py');
/** python3 starts, and the fetcher backs off between tries (0.5 + 1 + 2 s): more than jest's 5 s on a loaded machine. */
const SLOW_MS = 60_000;

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
    // Parsed, not compiled: a __pycache__ in runner/ would change the image build context.
    expect(() => execFileSync('python3', ['-c', 'import ast, sys; ast.parse(open(sys.argv[1]).read())', FETCH])).not.toThrow();
    expect(() => execFileSync('shellcheck', [ENTRYPOINT, join(RUNNER, 'install-runner.sh'), ...['run.sh', 'run-helper.sh', 'bin/Runner.Listener', 'bin/installdependencies.sh'].map((f) => join(RUNNER, 'test/image/standin', f))], { encoding: 'utf8' })).not.toThrow();
  });

  it('refuses to start without a JIT configuration, saying where it comes from', () => {
    const out = entrypoint({ RUNNER_DIR: standIn('exit 0') });
    expect(out.status).toBe(78);
    expect(out.stderr).toContain('RUNNER_JITCONFIG_PARAMETER is not set. This image runs one just-in-time runner');
  });

  it('refuses to start when the image has no runner', () => {
    const out = entrypoint({ RUNNER_DIR: mkdtempSync(join(tmpdir(), 'empty-')), RUNNER_JITCONFIG: 'abc' });
    expect(out.status).toBe(78);
    expect(out.stderr).toContain('run.sh missing');
  });

  it('for a local run takes RUNNER_JITCONFIG, hands it to the listener as ACTIONS_RUNNER_INPUT_JITCONFIG (no argument), and exits with its status', () => {
    const dir = standIn('printf "%s\\n" "$#" > "$(dirname "$0")/args"; env > "$(dirname "$0")/env"; exit 3');
    const out = entrypoint({ RUNNER_DIR: dir, RUNNER_JITCONFIG: 'eyJzZWNyZXQiOnRydWV9' });
    expect(out.status).toBe(3);
    expect(readFileSync(join(dir, 'args'), 'utf8')).toBe('0\n');
    const env = readFileSync(join(dir, 'env'), 'utf8');
    expect(env).toContain('ACTIONS_RUNNER_INPUT_JITCONFIG=eyJzZWNyZXQiOnRydWV9\n');
    expect(env).not.toContain('RUNNER_JITCONFIG=');
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

  describe('with RUNNER_JITCONFIG_PARAMETER (what the control plane sets)', () => {
    const CONFIG = 'eyIucnVubmVyIjoiZXlKaFoyVnVkRWxrSWpvM2ZRPT0ifQ==';
    const PARAMETER = '/fleet/jit/fleet-7/0123456789abcdef0123456789abcdef';
    const TOKEN = 'container-authorization-token';
    const KEYS = { AccessKeyId: 'ASIATASKROLE', SecretAccessKey: 'task-role-secret', Token: 'task-role-session' };
    let server: Server;
    let base: string;
    const stored = new Map<string, string>();
    const seen: Array<{ path: string; target?: string; body: string; headers: Record<string, string | string[] | undefined> }> = [];
    const faults = { ssmUnavailable: false, proxyPage: false };

    beforeAll(async () => {
      // The ECS container credentials endpoint and SSM's JSON 1.1 API, as far as the fetcher uses them.
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => {
          const target = req.headers['x-amz-target'] as string | undefined;
          seen.push({ path: req.url ?? '', target, body, headers: req.headers });
          if (req.url === '/credentials') {
            if (req.headers.authorization !== TOKEN) return void res.writeHead(401).end('{}');
            return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...KEYS, Expiration: new Date(Date.now() + 3_600_000).toISOString() }));
          }
          const answer = (status: number, json: unknown) => void res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(json));
          if (faults.ssmUnavailable) return answer(503, { __type: 'InternalServerError', message: 'try later' });
          // A proxy or VPC endpoint in the way answers with a page of its own, not SSM's JSON.
          if (faults.proxyPage) return void res.writeHead(502, { 'content-type': 'text/html' }).end('<html><body>502 Bad Gateway</body></html>');
          const input = JSON.parse(body || '{}') as { Name?: string; WithDecryption?: boolean };
          const value = stored.get(input.Name ?? '');
          if (value === undefined) return answer(400, { __type: 'ParameterNotFound', message: '' });
          if (target === 'AmazonSSM.GetParameter') return answer(200, { Parameter: { Name: input.Name, Type: 'SecureString', Value: input.WithDecryption ? value : 'AQICAH-ciphertext' } });
          if (target === 'AmazonSSM.DeleteParameter') return answer(200, stored.delete(input.Name!) && {});
          return answer(400, { __type: 'UnknownOperationException', message: target });
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    /** The entrypoint as a Fargate task starts it (credentials by the FULL_URI form, the sandbox's endpoint variable). */
    function start(dir: string, env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
      return new Promise((resolve) => {
        const child = spawn('bash', [ENTRYPOINT], {
          env: { PATH: process.env.PATH!, RUNNER_DIR: dir, RUNNER_JIT_FETCH: FETCH, RUNNER_JITCONFIG_PARAMETER: PARAMETER, AWS_REGION: 'eu-west-1', AWS_CONTAINER_CREDENTIALS_FULL_URI: `${base}/credentials`, AWS_CONTAINER_AUTHORIZATION_TOKEN: TOKEN, AWS_ENDPOINT_URL_SSM: base, ...env },
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (status) => resolve({ status, stdout, stderr }));
      });
    }

    /** botocore (the AWS CLI's signer) recomputes each SigV4 signature from what the stub received. */
    function botocoreSignature(request: (typeof seen)[number]): string {
      const script = [
        'import json, sys',
        'from botocore.auth import SigV4Auth',
        'from botocore.awsrequest import AWSRequest',
        'from botocore.credentials import Credentials',
        'r = json.load(sys.stdin)',
        'req = AWSRequest(method="POST", url=r["url"], data=r["body"].encode(), headers=r["headers"])',
        'req.context["timestamp"] = r["headers"]["x-amz-date"]',
        'auth = SigV4Auth(Credentials(r["key"], r["secret"], r["token"]), "ssm", "eu-west-1")',
        'print(auth.signature(auth.string_to_sign(req, auth.canonical_request(req)), req))',
      ].join('\n');
      const signed = /SignedHeaders=([^,]+)/.exec(String(request.headers.authorization))![1]!.split(';');
      const headers = Object.fromEntries(signed.map((h) => [h, String(request.headers[h])]));
      return execFileSync('python3', ['-c', script], { input: JSON.stringify({ url: `${base}${request.path}`, body: request.body, headers, key: KEYS.AccessKeyId, secret: KEYS.SecretAccessKey, token: KEYS.Token }), encoding: 'utf8' }).trim();
    }

    it("reads the SecureString with the task role's credentials, deletes it, and only then starts the listener with it", async () => {
      stored.set(PARAMETER, CONFIG);
      seen.length = 0;
      const dir = standIn('env > "$(dirname "$0")/env"; printf "%s\\n" "$#" > "$(dirname "$0")/args"');

      const out = await start(dir);

      expect(out.status).toBe(0);
      expect(seen.map((r) => r.target ?? r.path)).toEqual(['/credentials', 'AmazonSSM.GetParameter', 'AmazonSSM.DeleteParameter']);
      expect(JSON.parse(seen[1]!.body)).toEqual({ Name: PARAMETER, WithDecryption: true });
      expect(stored.has(PARAMETER)).toBe(false);
      for (const request of seen.slice(1)) {
        expect(request.headers['x-amz-security-token']).toBe(KEYS.Token);
        expect(String(request.headers.authorization)).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=ASIATASKROLE/\\d{8}/eu-west-1/ssm/aws4_request, SignedHeaders=`));
        expect(String(request.headers.authorization)).toContain(`Signature=${botocoreSignature(request)}`);
      }
      const env = readFileSync(join(dir, 'env'), 'utf8');
      expect(env).toContain(`ACTIONS_RUNNER_INPUT_JITCONFIG=${CONFIG}\n`);
      expect(readFileSync(join(dir, 'args'), 'utf8')).toBe('0\n');
      expect(out.stdout + out.stderr).not.toContain(CONFIG);
    }, SLOW_MS);

    it('also finds the credentials the ECS way (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) on 169.254.170.2', () => {
      // There is no ECS agent here: the fetcher asks the link-local endpoint and gives up (unreachable 69, refused 78).
      const out = spawnSync('python3', [FETCH, PARAMETER], { env: { PATH: process.env.PATH!, AWS_REGION: 'eu-west-1', AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/abc', AWS_ENDPOINT_URL: base }, encoding: 'utf8', timeout: 60_000 });
      expect(out.stderr).toContain('http://169.254.170.2/v2/credentials/abc');
      expect([69, 78]).toContain(out.status);
      expect(out.stdout).toBe('');
    }, SLOW_MS);

    it('exits 78 without starting the runner when the parameter is gone (used, or never stored), naming it', async () => {
      seen.length = 0;
      const dir = standIn('echo started > "$(dirname "$0")/started"');
      const out = await start(dir);
      expect(out.status).toBe(78);
      expect(out.stderr).toContain(`runner-jit-config: cannot take the JIT config from ${PARAMETER}: SSM GetParameter answered 400 ParameterNotFound`);
      expect(existsSync(join(dir, 'started'))).toBe(false);
    }, SLOW_MS);

    it('exits 78 when the task has no role (no credentials), saying so', async () => {
      const dir = standIn('echo started > "$(dirname "$0")/started"');
      const out = await start(dir, { AWS_CONTAINER_CREDENTIALS_FULL_URI: '' });
      expect(out.status).toBe(78);
      expect(out.stderr).toContain('no task role credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is not set');
      expect(existsSync(join(dir, 'started'))).toBe(false);
    }, SLOW_MS);

    it('retries an SSM that does not answer, then exits 69 without starting the runner and without the config in any output', async () => {
      stored.set(PARAMETER, CONFIG);
      faults.ssmUnavailable = true;
      const dir = standIn('echo started > "$(dirname "$0")/started"');
      const out = await start(dir).finally(() => (faults.ssmUnavailable = false));
      expect(out.status).toBe(69);
      expect(out.stderr.match(/retrying/g)).toHaveLength(3);
      expect(existsSync(join(dir, 'started'))).toBe(false);
      expect(out.stdout + out.stderr).not.toContain(CONFIG);
    }, SLOW_MS);

    it('retries a gateway page that is not SSM\'s JSON (a proxy\'s 502), then exits 69, without a traceback', async () => {
      stored.set(PARAMETER, CONFIG);
      faults.proxyPage = true;
      const dir = standIn('echo started > "$(dirname "$0")/started"');
      const out = await start(dir).finally(() => (faults.proxyPage = false));
      expect(out.status).toBe(69);
      expect(out.stderr.match(/retrying/g)).toHaveLength(3);
      expect(out.stderr).not.toContain('Traceback');
      expect(existsSync(join(dir, 'started'))).toBe(false);
    }, SLOW_MS);
  });
});
