#!/usr/bin/env node
// Builds runner/Dockerfile for real (buildah, runc) FROM a debootstrapped Debian bookworm, with a
// stand-in runner tarball served on 127.0.0.1, and checks the built image's behaviour with podman.
// Needs root and buildah podman runc debootstrap: skips loudly without them, fails when CI=true.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const STANDIN = join(ROOT, 'runner/test/image/standin');
const CACHE = process.env.RUNNER_IMAGE_TEST_CACHE ?? join(tmpdir(), 'aws-runner-fleet-image-cache');
const BASE = 'localhost/runner-test-base:bookworm';
const IMAGE = 'localhost/runner-test:latest';
const VERSION = '9.9.9';
const TOOLS = ['git', 'curl', 'jq', 'unzip', 'zip', 'xz', 'zstd', 'tar', 'gzip', 'ssh', 'python3', 'ps', 'sudo', 'lsb_release', 'update-ca-certificates'];
const started = Date.now();

function missingPrerequisites() {
  const missing = ['buildah', 'podman', 'runc', 'debootstrap'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
  if (process.getuid?.() !== 0) missing.push('root (the test builds with rootful buildah)');
  return missing;
}

const missing = missingPrerequisites();
if (missing.length > 0) {
  const message = `image test: missing ${missing.join(', ')}. Install with: apt-get install buildah podman runc debootstrap skopeo fuse-overlayfs (.ci/run does).`;
  if (process.env.CI === 'true') {
    console.error(`FAIL ${message}`);
    process.exit(1);
  }
  console.warn(`\n!!!!! SKIPPED ${message}\n`);
  process.exit(0);
}

mkdirSync(CACHE, { recursive: true });
writeFileSync(join(CACHE, 'containers.conf'), [
  '[containers]', 'default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]', '',
  '[engine]', 'runtime = "runc"', 'cgroup_manager = "cgroupfs"', 'events_logger = "file"', '',
].join('\n'));
function storageConf(driver) {
  return ['[storage]', `driver = "${driver}"`, `graphroot = "${join(CACHE, 'storage')}"`, `runroot = "${join(CACHE, 'run')}"`, ''].join('\n');
}
const env = { ...process.env, CONTAINERS_CONF: join(CACHE, 'containers.conf'), CONTAINERS_STORAGE_CONF: join(CACHE, 'storage.conf'), BUILDAH_ISOLATION: 'oci' };

function run(cmd, args, options = {}) {
  return spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 64 << 20, ...options });
}
function must(cmd, args, options = {}) {
  const out = run(cmd, args, options);
  if (out.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${out.status}):\n${out.stdout}\n${out.stderr}`);
  return out.stdout;
}

// overlay where the kernel allows it (nested overlay does not always work), else vfs; the choice is cached.
if (!existsSync(join(CACHE, 'storage.conf'))) {
  writeFileSync(join(CACHE, 'storage.conf'), storageConf('overlay'));
  if (run('podman', ['info']).status !== 0) {
    rmSync(join(CACHE, 'storage'), { recursive: true, force: true });
    writeFileSync(join(CACHE, 'storage.conf'), storageConf('vfs'));
  }
}

function aptMirror() {
  for (const file of ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list']) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const uri = /^URIs:\s*(\S+)/m.exec(text)?.[1] ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/m.exec(text)?.[1];
    if (uri) return uri;
  }
  return 'http://deb.debian.org/debian';
}

const timings = {};
function timed(name, fn) {
  const t = Date.now();
  const result = fn();
  timings[name] = (Date.now() - t) / 1000;
  return result;
}

timed('base image', () => {
  if (run('podman', ['image', 'exists', BASE]).status === 0) return;
  const rootfs = join(CACHE, 'rootfs');
  if (!existsSync(rootfs)) {
    rmSync(`${rootfs}.partial`, { recursive: true, force: true });
    must('debootstrap', ['--variant=minbase', 'bookworm', `${rootfs}.partial`, aptMirror()]);
    renameSync(`${rootfs}.partial`, rootfs);
  }
  must('sh', ['-c', `tar -C '${rootfs}' -c . | podman import - ${BASE}`]);
});

// The stand-in runner, laid out like the release tarball and served like GitHub's release downloads.
const work = mkdtempSync(join(tmpdir(), 'runner-image-test-'));
const arch = process.arch === 'arm64' ? 'arm64' : 'x64';
const tarball = join(work, `actions-runner-linux-${arch}-${VERSION}.tar.gz`);
// Byte-for-byte reproducible, so its SHA-256 (a build arg) and thus buildah's layer cache stay valid between runs.
must('sh', ['-c', `tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C '${STANDIN}' -c . | gzip -n > '${tarball}'`]);
const sha256 = createHash('sha256').update(readFileSync(tarball)).digest('hex');
const served = [];
const server = createServer((req, res) => {
  served.push(req.url);
  if (req.url === `/releases/v${VERSION}/actions-runner-linux-${arch}-${VERSION}.tar.gz`) res.end(readFileSync(tarball));
  else res.writeHead(404).end();
});
// A fixed port keeps RUNNER_DOWNLOAD_BASE (a build arg) stable for the layer cache; any free port if taken.
await new Promise((resolve, reject) => {
  server.once('error', (error) => (error.code === 'EADDRINUSE' ? server.listen(0, '127.0.0.1', resolve) : reject(error)));
  server.listen(Number(process.env.RUNNER_IMAGE_TEST_PORT ?? 47311), '127.0.0.1', resolve);
});
const downloadBase = `http://127.0.0.1:${server.address().port}/releases`;

const failures = [];
function check(name, ok, detail = '') {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${ok ? '' : `\n     ${detail}`}`);
  if (!ok) failures.push(name);
}

try {
  // The build runs in a child process; an async spawn keeps this process's server answering.
  const build = await timedAsync('image build', () => spawnAsync('buildah', ['build', '--network', 'host', '--layers',
    '--build-arg', `BASE_IMAGE=${BASE}`, '--build-arg', `RUNNER_VERSION=${VERSION}`,
    '--build-arg', `RUNNER_SHA256_X64=${arch === 'x64' ? sha256 : '0'.repeat(64)}`,
    '--build-arg', `RUNNER_SHA256_ARM64=${arch === 'arm64' ? sha256 : '0'.repeat(64)}`,
    '--build-arg', `RUNNER_DOWNLOAD_BASE=${downloadBase}`, '-t', IMAGE, join(ROOT, 'runner')]));
  if (build.status !== 0) throw new Error(`image build failed:\n${build.output.slice(-4000)}`);
  run('podman', ['image', 'prune', '-f']); // the previous build's image, untagged by this one
  check('the build downloaded the runner from RUNNER_DOWNLOAD_BASE (or reused a layer built from it)', /Using cache/.test(build.output) || served.includes(`/releases/v${VERSION}/actions-runner-linux-${arch}-${VERSION}.tar.gz`), served.join(', '));
  await imageChecks();
} catch (error) {
  check('the image builds and runs', false, error.stack);
} finally {
  server.close();
  rmSync(work, { recursive: true, force: true });
}

const size = Number(JSON.parse(must('podman', ['image', 'inspect', IMAGE]))[0]?.Size ?? 0);
console.log(`\nimage size ${(size / 1e6).toFixed(0)} MB; ${Object.entries(timings).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ')}; total ${((Date.now() - started) / 1000).toFixed(1)} s`);
if (failures.length > 0) {
  console.error(`image test: ${failures.length} check(s) failed: ${failures.join('; ')}`);
  process.exit(1);
}
console.log('image test: all checks passed');

async function imageChecks() {
  const secret = 'jit-secret-eyJrZXkiOiJwcml2YXRlIn0';
  const secretSha = createHash('sha256').update(secret).digest('hex');

  const none = run('podman', ['run', '--rm', IMAGE]);
  check('without a JIT config the container exits 78 with a clear error', none.status === 78 && none.stderr.includes('RUNNER_JITCONFIG_PARAMETER is not set'), `${none.status} ${none.stderr}`);

  await ssmChecks(secret, secretSha);

  const step = ['echo "uid=$(id -u)"', 'sudo -n true && echo sudo=ok', 'env | sed "s/^/env: /"',
    ...TOOLS.map((t) => `command -v ${t} >/dev/null && echo "tool=${t}"`)].join('; ');
  const job = await startJob('job', ['-e', `FAKE_JOB_STEP=${step}`]);
  const logs = must('podman', ['logs', job]);
  await stop(job, 30);
  const stepOut = /--- job step begin ---\n([\s\S]*)--- job step end ---/.exec(logs)?.[1] ?? '';
  check('for a local run (RUNNER_JITCONFIG) the listener gets the config in its environment, not on its command line', logs.includes('listener: args run\n') && logs.includes(`listener: jitconfig sha256 ${secretSha}`) && !logs.includes(secret), logs);
  check('the JIT config is not in the job step environment', stepOut.includes('env: ') && !stepOut.includes('RUNNER_JITCONFIG') && !stepOut.includes('ACTIONS_RUNNER_INPUT_JITCONFIG') && !stepOut.includes(secret), stepOut);
  check('the job step runs as a non-root user', /uid=(\d+)/.exec(stepOut)?.[1] !== undefined && /uid=(\d+)/.exec(stepOut)[1] !== '0', stepOut);
  check('the runner user has passwordless sudo', stepOut.includes('sudo=ok'), stepOut);
  const absent = TOOLS.filter((t) => !stepOut.includes(`tool=${t}\n`));
  check('every job tool is on the runner user\'s PATH', absent.length === 0, `missing: ${absent.join(' ')}`);

  const graceful = await startJob('stop');
  const stopTimeout = 30;
  const stopped = await stop(graceful, stopTimeout);
  check('podman stop (SIGTERM) reaches the listener, which cancels the job', stopped.logs.includes('listener: job cancelled'), stopped.logs);
  check(`the container exits by itself before the stop timeout (exit ${stopped.exitCode}, ${stopped.seconds.toFixed(1)} s of ${stopTimeout} s)`, stopped.exitCode !== 137 && stopped.seconds < stopTimeout, '');
  timings['graceful stop'] = stopped.seconds;

  const untrapped = await startJob('untrapped', ['-e', 'RUNNER_MANUALLY_TRAP_SIG=']);
  const killed = await stop(untrapped, 3);
  check('without RUNNER_MANUALLY_TRAP_SIG the signal is not forwarded and the container is killed', killed.exitCode === 137 && !killed.logs.includes('listener: job cancelled'), `exit ${killed.exitCode}\n${killed.logs}`);

  for (const [codes, extra, expected, name] of [
    ['1', [], 0, 'listener exit 1 (terminated) -> container exit 0'],
    ['5', [], 0, 'listener exit 5 (session conflict) -> container exit 0'],
    ['7', [], 7, 'listener exit 7 (deprecated version) -> container exit 7 with the image ENV'],
    ['7', ['-e', 'ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE='], 0, 'listener exit 7 without ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE -> 0'],
    ['2 0', [], 0, 'listener exit 2 -> relaunched, then exit 0 -> container exit 0'],
  ]) {
    const out = run('podman', ['run', '--rm', '--network', 'none', '-e', `RUNNER_JITCONFIG=${secret}`, '-e', `FAKE_LISTENER_EXITS=${codes}`, ...extra, IMAGE]);
    const launches = (out.stdout.match(/listener: launch/g) ?? []).length;
    check(name, out.status === expected && launches === codes.split(' ').length, `exit ${out.status}, ${launches} launch(es)\n${out.stdout}${out.stderr}`);
  }

  async function startJob(name, extra = []) {
    const id = must('podman', ['run', '-d', '--network', 'none', '-e', `RUNNER_JITCONFIG=${secret}`, ...extra, IMAGE]).trim();
    for (let i = 0; i < 600; i++) {
      if (run('podman', ['logs', id]).stdout.includes('listener: ready')) return id;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${name}: the listener never became ready:\n${run('podman', ['logs', id]).stdout}`);
  }
}

/**
 * The control plane's way: RUNNER_JITCONFIG_PARAMETER names a SecureString. A stub of the ECS
 * credentials endpoint and of SSM on 127.0.0.1 (the container shares the host's network) holds it;
 * the job step asks the stub whether the parameter still exists, and prints its own environment.
 */
async function ssmChecks(secret, secretSha) {
  const name = '/runner-test/jit/runner-test-1/0123456789abcdef0123456789abcdef';
  const token = 'container-authorization-token';
  const keys = { AccessKeyId: 'ASIATASKROLE', SecretAccessKey: 'task-role-secret', Token: 'task-role-session' };
  const parameters = new Map([[name, secret]]);
  const calls = [];
  const stub = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const target = req.headers['x-amz-target'];
      calls.push({ path: req.url, target, body, authorization: req.headers.authorization ?? '', sessionToken: req.headers['x-amz-security-token'] });
      const json = (status, value) => res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(value));
      if (req.url === '/credentials') return req.headers.authorization === token ? json(200, { ...keys, Expiration: new Date(Date.now() + 3600_000).toISOString() }) : json(401, {});
      if (req.url === '/probe') return json(200, { stillStored: parameters.has(name) });
      const input = JSON.parse(body || '{}');
      if (!parameters.has(input.Name)) return json(400, { __type: 'ParameterNotFound', message: '' });
      if (target === 'AmazonSSM.GetParameter') return json(200, { Parameter: { Name: input.Name, Type: 'SecureString', Value: input.WithDecryption ? parameters.get(input.Name) : 'AQICAH-ciphertext' } });
      if (target === 'AmazonSSM.DeleteParameter') return parameters.delete(input.Name), json(200, {});
      return json(400, { __type: 'UnknownOperationException', message: String(target) });
    });
  });
  await new Promise((resolve) => stub.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${stub.address().port}`;
  const taskEnv = (parameter) => ['--network', 'host', '-e', `RUNNER_JITCONFIG_PARAMETER=${parameter}`, '-e', 'AWS_REGION=eu-west-1',
    '-e', `AWS_CONTAINER_CREDENTIALS_FULL_URI=${base}/credentials`, '-e', `AWS_CONTAINER_AUTHORIZATION_TOKEN=${token}`, '-e', `AWS_ENDPOINT_URL_SSM=${base}`];
  try {
    const step = [`curl -s ${base}/probe | sed "s/^/probe: /"; echo`, 'env | sed "s/^/env: /"', 'tr "\\0" "\\n" < /proc/self/environ | sed "s/^/environ: /"'].join('; ');
    const started = await spawnAsync('podman', ['run', '-d', ...taskEnv(name), '-e', `FAKE_JOB_STEP=${step}`, IMAGE]);
    if (started.status !== 0) throw new Error(`podman run failed: ${started.output}`);
    const id = started.output.trim().split('\n').pop();
    let logs = '';
    for (let i = 0; i < 600 && !logs.includes('listener: ready'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      logs = run('podman', ['logs', id]).stdout;
    }
    await stop(id, 30);
    const stepOut = /--- job step begin ---\n([\s\S]*)--- job step end ---/.exec(logs)?.[1] ?? '';
    const ssm = calls.filter((c) => c.target);
    check('the entrypoint reads the SecureString (decrypted) with the task role and deletes it before the listener starts',
      ssm.map((c) => c.target).join() === 'AmazonSSM.GetParameter,AmazonSSM.DeleteParameter' && JSON.parse(ssm[0].body).WithDecryption === true
        && ssm.every((c) => c.authorization.startsWith('AWS4-HMAC-SHA256 Credential=ASIATASKROLE/') && c.sessionToken === keys.Token)
        && !parameters.has(name) && stepOut.includes('probe: {"stillStored":false}'), `${JSON.stringify(calls)}\n${stepOut}`);
    check('the listener gets the config from the parameter', logs.includes(`listener: jitconfig sha256 ${secretSha}`) && logs.includes('listener: args run\n'), logs);
    check('neither the job step environment nor its /proc/self/environ holds the config', stepOut.includes('env: ') && stepOut.includes('environ: ')
      && !stepOut.includes(secret) && !stepOut.includes('ACTIONS_RUNNER_INPUT_JITCONFIG') && !logs.includes(secret), stepOut);

    // Asynchronously: the stub in this process must keep answering while the container runs.
    const missing = await spawnAsync('podman', ['run', '--rm', ...taskEnv(`${name}-gone`), IMAGE]);
    check('a parameter that is gone (used, never stored) stops the container with exit 78 before any listener starts', missing.status === 78 && missing.output.includes('ParameterNotFound') && !missing.output.includes('listener: launch'), `exit ${missing.status}\n${missing.output}`);
  } finally {
    stub.close();
  }
}

async function stop(id, timeout) {
  const t = Date.now();
  must('podman', ['stop', '-t', String(timeout), id]);
  const seconds = (Date.now() - t) / 1000;
  const exitCode = Number(must('podman', ['inspect', '-f', '{{.State.ExitCode}}', id]).trim());
  const logs = must('podman', ['logs', id]);
  run('podman', ['rm', '-f', id]);
  return { seconds, exitCode, logs };
}

function spawnAsync(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    child.on('close', (status) => resolve({ status, output }));
  });
}
async function timedAsync(name, fn) {
  const t = Date.now();
  const result = await fn();
  timings[name] = (Date.now() - t) / 1000;
  return result;
}
