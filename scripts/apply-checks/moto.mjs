// Starts tests/moto/launch_moto.py (moto in-process with the launcher's patches and request log) on a
// free port of 127.0.0.1, and reads back what it was asked.
import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const START_TIMEOUT_MS = 60_000;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * The moto version on this machine; throws a message that says what to install when python3, moto
 * or boto3 is missing. The launcher's patches are written against moto 5.2.
 */
export async function motoVersion() {
  const probe = spawn('python3', ['-c', 'import moto, boto3, werkzeug; print(moto.__version__)'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  probe.stdout.on('data', (d) => (out += d));
  probe.stderr.on('data', (d) => (out += d));
  const status = await new Promise((resolve) => {
    probe.on('error', () => resolve('no python3'));
    probe.on('close', resolve);
  });
  const version = out.trim();
  if (status !== 0 || !/^5\.2\./.test(version)) {
    throw new Error(
      `the apply checks need python3 with moto 5.2.x (server extras) and boto3 (found: ${status === 0 ? `moto ${version}` : out.trim() || status}). Install them with: python3 -m pip install 'moto[server]>=5.2,<5.3' boto3`,
    );
  }
  return version;
}

/** Resolves { port, endpoint, stop() } once moto answers; its own output goes to `outputFile`. */
export async function startMoto({ root, requestLog, outputFile }) {
  const port = await freePort();
  const output = createWriteStream(outputFile);
  const moto = spawn('python3', [join(root, 'tests/moto/launch_moto.py'), String(port), requestLog], { stdio: ['ignore', 'pipe', 'pipe'] });
  let seen = '';
  const take = (chunk) => {
    output.write(chunk);
    if (seen.length < 4096) seen += chunk.toString();
  };
  moto.stdout.on('data', take);
  moto.stderr.on('data', take);
  const stop = () => {
    if (moto.exitCode === null) moto.kill('SIGTERM');
    output.end();
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (seen.includes('moto listening')) return { port, endpoint: `http://127.0.0.1:${port}`, stop };
    if (moto.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  stop();
  throw new Error(`moto did not start on port ${port} within ${START_TIMEOUT_MS / 1000} s:\n${seen}`);
}

/** The requests moto received, oldest first, as the launcher logged them. */
export function recordedRequests(requestLog) {
  let text = '';
  try {
    text = readFileSync(requestLog, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

/** "service operation" for a logged request: the JSON target, the query protocol's Action, or method and path. */
export function describeRequest(r) {
  const action = /(?:^|&)Action=([A-Za-z0-9]+)/.exec(`${r.query}&${r.contentType.includes('form') ? r.body : ''}`)?.[1];
  return `${r.service || '?'} ${r.target || action || `${r.method} ${r.path}`}`;
}
