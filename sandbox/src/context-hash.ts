import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * The hash of the runner/ build context, as Terraform computes it for
 * IMAGE_CONTEXT_HASH: sha256 of the concatenated sha256 of every file, in
 * sorted path order.
 */
export function buildContextHash(dir: string): string {
  const files = (readdirSync(dir, { recursive: true, withFileTypes: true }) as Array<{ isFile(): boolean; parentPath: string; name: string }>)
    .filter((f) => f.isFile())
    .map((f) => relative(dir, join(f.parentPath, f.name)))
    .sort();
  return createHash('sha256')
    .update(files.map((f) => createHash('sha256').update(readFileSync(join(dir, f))).digest('hex')).join(''))
    .digest('hex');
}
