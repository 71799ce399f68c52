import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** runner/ files that are not image inputs: its tests and docs (a change to them rebuilds nothing). */
export function isImageInput(path: string): boolean {
  return !path.startsWith('test/') && !path.endsWith('.md');
}

/**
 * The hash of the runner/ build context, as Terraform computes it
 * (modules/image-build-project context_hash): sha256 of the concatenated
 * sha256 of every image input, in sorted path order.
 */
export function buildContextHash(dir: string): string {
  const files = (readdirSync(dir, { recursive: true, withFileTypes: true }) as Array<{ isFile(): boolean; parentPath: string; name: string }>)
    .filter((f) => f.isFile())
    .map((f) => relative(dir, join(f.parentPath, f.name)).split(sep).join('/'))
    .filter(isImageInput)
    .sort();
  return createHash('sha256')
    .update(files.map((f) => createHash('sha256').update(readFileSync(join(dir, f))).digest('hex')).join(''))
    .digest('hex');
}

/** The actions/runner version runner/Dockerfile pins (ARG RUNNER_VERSION=...), the default of runner_version. */
export function pinnedRunnerVersion(dir: string): string {
  const pin = /^ARG RUNNER_VERSION=([0-9]+\.[0-9]+\.[0-9]+)\s*$/m.exec(readFileSync(join(dir, 'Dockerfile'), 'utf8'));
  if (!pin) throw new Error(`${join(dir, 'Dockerfile')} pins no RUNNER_VERSION (ARG RUNNER_VERSION=<x.y.z>)`);
  return pin[1]!;
}
