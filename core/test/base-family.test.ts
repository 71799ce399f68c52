import { describe, expect, it } from '@jest/globals';
import { baseImageFamily } from '../src/base-family.js';
import { buildIdentity, imageTagFor } from '../src/image-tag.js';
import { parseImageReference, type ImageReference } from '../src/oci-reference.js';

function parsed(ref: string): ImageReference {
  const out = parseImageReference(ref);
  if (typeof out === 'string') throw new Error(out);
  return out;
}

describe('base image family', () => {
  it.each([
    ['ubuntu:22.04', 'ubuntu'],
    ['public.ecr.aws/docker/library/ubuntu:24.04', 'ubuntu'],
    ['public.ecr.aws/docker/library/debian:bookworm', 'debian'],
    ['registry.example.com/team/debian-slim:12', 'debian'],
  ])('reads %s as %s', (ref, family) => {
    expect(baseImageFamily(parsed(ref))).toBe(family);
  });

  it.each(['amazonlinux:2023', 'public.ecr.aws/amazonlinux/amazonlinux:2023', 'alpine:3.20', 'fedora:40', 'ubuntu/other:1', 'myubuntu:1'])(
    'refuses %s (not apt-based, or not named as such)',
    (ref) => {
      expect(baseImageFamily(parsed(ref))).toBeUndefined();
    },
  );
});

describe('build identity', () => {
  it('changes the tag when the architecture or the runner version changes', () => {
    const base = parsed('ubuntu:22.04');
    const tag = imageTagFor(base, buildIdentity('ctx', 'X86_64', '2.335.1'));
    expect(imageTagFor(base, buildIdentity('ctx', 'ARM64', '2.335.1'))).not.toBe(tag);
    expect(imageTagFor(base, buildIdentity('ctx', 'X86_64', '2.336.0'))).not.toBe(tag);
    expect(imageTagFor(base, buildIdentity('ctx', 'X86_64', '2.335.1'))).toBe(tag);
  });

  it('is sha256 of context, architecture and version, one per line (what Terraform computes)', () => {
    // sha256("abc\nX86_64\n2.335.1"), computed independently with sha256sum.
    expect(buildIdentity('abc', 'X86_64', '2.335.1')).toBe('2b38672b86a32b7f8b68e6f9b1e7983170ba2eaf69471f1e3f0008a2b051d5b6');
  });
});
