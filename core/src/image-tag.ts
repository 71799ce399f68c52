import { createHash } from 'node:crypto';
import type { ImageReference } from './oci-reference.js';

/** ECR and Docker tags: a word character, then up to 127 of [A-Za-z0-9_.-]. */
export const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

const SLUG_LENGTH = 60;
const HASH_LENGTH = 16;

/**
 * The ECR tag of the runner image built FROM `base`: a readable slug of the
 * reference plus a hash of the canonical reference and of the runner/ build
 * context, so the same base maps to the same tag until the Dockerfile or its
 * scripts change, and two different bases never share one.
 */
export function imageTagFor(base: ImageReference, contextHash: string): string {
  const slug =
    base.canonical
      .replace(/^docker\.io\/library\//, '')
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/-{2,}/g, '-')
      .replace(/^[^a-z0-9]+/, '')
      .slice(0, SLUG_LENGTH)
      .replace(/[^a-z0-9]+$/, '') || 'image';
  const hash = createHash('sha256').update(`${base.canonical}\n${contextHash}`).digest('hex').slice(0, HASH_LENGTH);
  return `${slug}-${hash}`;
}

/** An ECS task-definition family for the image (families allow only letters, digits, "-" and "_"). */
export function taskFamilyFor(baseFamily: string, tag: string): string {
  return `${baseFamily}-${tag.slice(-HASH_LENGTH)}`;
}
