import { createHash } from 'node:crypto';
import type { ImageReference } from './oci-reference.js';

/** ECR and Docker tags: a word character, then up to 127 of [A-Za-z0-9_.-]. */
export const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * Every image built for an image: label starts with this; the ECR lifecycle
 * policy expires only tags with it (the default image's tag may not use it).
 */
export const DYNAMIC_TAG_PREFIX = 'img-';

const SLUG_LENGTH = 60;
const HASH_LENGTH = 16;

/**
 * What, besides the base, makes a runner image: the runner/ build context
 * hash, the CPU architecture and the runner version. Terraform computes the
 * same value (modules/image-build-project, output image_identity) as
 * sha256("<context>\n<architecture>\n<version>").
 */
export function buildIdentity(contextHash: string, architecture: string, runnerVersion: string): string {
  return createHash('sha256').update(`${contextHash}\n${architecture}\n${runnerVersion}`).digest('hex');
}

/**
 * The ECR tag of the runner image built FROM `base`: the dynamic prefix, a
 * readable slug of the reference, then a hash of the canonical reference and
 * of the build identity (see buildIdentity), so the same base maps to the same
 * tag until runner/, the architecture or the runner version change, and two
 * different bases never share one.
 */
export function imageTagFor(base: ImageReference, identity: string): string {
  const slug =
    base.canonical
      .replace(/^docker\.io\/library\//, '')
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/-{2,}/g, '-')
      .replace(/^[^a-z0-9]+/, '')
      .slice(0, SLUG_LENGTH)
      .replace(/[^a-z0-9]+$/, '') || 'image';
  const hash = createHash('sha256').update(`${base.canonical}\n${identity}`).digest('hex').slice(0, HASH_LENGTH);
  return `${DYNAMIC_TAG_PREFIX}${slug}-${hash}`;
}

/** An ECS task-definition family for the image (families allow only letters, digits, "-" and "_"). */
export function taskFamilyFor(baseFamily: string, tag: string): string {
  return `${baseFamily}-${tag.slice(-HASH_LENGTH)}`;
}
