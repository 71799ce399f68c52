// One terraform command of the apply checks: its output is teed to a log file of its own (and to the
// console with APPLY_VERBOSE=1), a heartbeat shows the latest line, and a step that outlives its
// timeout is stopped and reported by name, with the tail of its log.
import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clearInterval, setInterval } from 'node:timers';

const HEARTBEAT_MS = 30_000;

export class StepError extends Error {
  constructor(message, logFile) {
    super(message);
    this.logFile = logFile;
  }
}

export function logTail(file, lines = 40) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * Runs `terraform <args>` in `cwd`; resolves { status, stdout, seconds } when it exits with one of
 * `okCodes`, rejects with a StepError naming `label` otherwise or after `timeoutSeconds`.
 */
export function terraformStep({ label, args, cwd, env, logDir, timeoutSeconds, okCodes = [0], verbose = false }) {
  const logFile = join(logDir, `${label.replace(/[^a-z0-9-]+/gi, '_')}.log`);
  const log = createWriteStream(logFile);
  const started = Date.now();
  const stepEnv = process.env.APPLY_TF_LOG ? { ...env, TF_LOG: process.env.APPLY_TF_LOG, TF_LOG_PATH: `${logFile}.tf-log` } : env;
  return new Promise((resolve, reject) => {
    const child = spawn('terraform', [...args, '-no-color'], { cwd, env: stepEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let lastLine = '';
    const take = (chunk, isStdout) => {
      const text = chunk.toString();
      if (isStdout) stdout += text;
      log.write(text);
      if (verbose) process.stdout.write(text.replace(/^(?=.)/gm, `    [${label}] `));
      const lines = text.trimEnd().split('\n');
      if (lines.at(-1)) lastLine = lines.at(-1);
    };
    child.stdout.on('data', (d) => take(d, true));
    child.stderr.on('data', (d) => take(d, false));
    const elapsed = () => (Date.now() - started) / 1000;
    const heartbeat = setInterval(() => console.log(`    … ${label}: ${elapsed().toFixed(0)} s, last line: ${lastLine.slice(0, 160)}`), HEARTBEAT_MS);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGINT'); // terraform stops cleanly on the first interrupt, then hard on SIGKILL
      setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
    }, timeoutSeconds * 1000);
    const finish = (error, result) => {
      clearInterval(heartbeat);
      clearTimeout(timer);
      log.end(() => (error ? reject(error) : resolve(result)));
    };
    child.on('error', (error) => finish(new StepError(`${label}: could not run terraform: ${error.message}`, logFile)));
    child.on('close', (status) => {
      const seconds = elapsed();
      if (timedOut) return finish(new StepError(`${label}: "terraform ${args.join(' ')}" did not finish within its ${timeoutSeconds} s timeout (log: ${logFile})`, logFile));
      if (!okCodes.includes(status)) return finish(new StepError(`${label}: "terraform ${args.join(' ')}" exited ${status} after ${seconds.toFixed(1)} s (log: ${logFile})`, logFile));
      finish(null, { status, stdout, seconds });
    });
  });
}
