import type { ImageReference } from './oci-reference.js';

/** Distributions runner/Dockerfile can install onto: it is apt-based (installdependencies.sh, apt-get). */
export const SUPPORTED_BASE_FAMILIES = ['debian', 'ubuntu'] as const;
export type BaseFamily = (typeof SUPPORTED_BASE_FAMILIES)[number];

/**
 * The family of a base image, read from the last component of its repository
 * path: `ubuntu`, `debian`, or one of them followed by `-`, `_` or `.` and more
 * (`debian-slim`). Anything else (amazonlinux, alpine, fedora, custom names) is
 * unsupported: refused before a build is spent on it.
 */
export function baseImageFamily(ref: ImageReference): BaseFamily | undefined {
  const name = ref.path.split('/').pop() ?? '';
  return SUPPORTED_BASE_FAMILIES.find((family) => name === family || new RegExp(`^${family}[-_.]`).test(name));
}
