import { describe, expect, it } from '@jest/globals';
import { isAllowedImage, parseImagePattern } from '../src/image-pattern.js';
import { parseImageReference, type ImageReference } from '../src/oci-reference.js';

const SHA = 'a'.repeat(64);
const OTHER_SHA = 'b'.repeat(64);

function ref(text: string): ImageReference {
  const result = parseImageReference(text);
  if (typeof result === 'string') throw new Error(`${text}: ${result}`);
  return result;
}

const allows = (pattern: string, reference: string) => isAllowedImage(ref(reference), [pattern]);

describe('allow-list patterns are matched part by part against the normalized reference (issue 14)', () => {
  it.each([
    ['ubuntu:*', 'ubuntu:24.04'],
    ['ubuntu:*', 'ubuntu'],
    ['ubuntu:*', 'docker.io/library/ubuntu:22.04'],
    ['ubuntu:*', 'library/ubuntu:22.04'],
    ['ubuntu:*', 'docker.io/ubuntu:22.04'],
    ['ubuntu:*', 'index.docker.io/library/ubuntu:22.04'],
    ['ubuntu:*', `ubuntu:24.04@sha256:${SHA}`],
    ['docker.io/library/debian:*', 'debian:12'],
    ['index.docker.io/debian:*', 'debian:12'],
    ['ubuntu:2?.04', 'ubuntu:24.04'],
    ['ubuntu:latest', 'ubuntu'],
    ['ubuntu', `ubuntu:24.04@sha256:${SHA}`],
    ['ubuntu', `ubuntu@sha256:${SHA}`],
    ['*', 'debian:12'],
    ['myorg/*:*', 'myorg/ubuntu:1'],
    ['public.ecr.aws/docker/library/*', 'public.ecr.aws/docker/library/ubuntu:24.04'],
    ['public.ecr.aws/docker/library/*', `public.ecr.aws/docker/library/debian@sha256:${SHA}`],
    ['public.ecr.aws/docker/library/debian:bookworm*', 'public.ecr.aws/docker/library/debian:bookworm-slim'],
    ['Public.ECR.aws/docker/library/*', 'public.ecr.aws/docker/library/ubuntu'],
    ['*.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/library/ubuntu:*', '123456789012.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/library/ubuntu:24.04'],
    ['localhost:5000/team/*', 'localhost:5000/team/ubuntu'],
    ['localhost:*/team/*', 'localhost:5001/team/ubuntu'],
    ['[::1]:5000/ubuntu:*', '[::1]:5000/ubuntu:24.04'],
    ['registry-1.docker.io/library/ubuntu:*', 'registry-1.docker.io/library/ubuntu:24.04'],
    [`ubuntu@sha256:${SHA}`, `ubuntu@sha256:${SHA}`],
    [`ubuntu:24.04@sha256:${SHA}`, `ubuntu:24.04@sha256:${SHA}`],
    ['ubuntu:*@*', `ubuntu:24.04@sha256:${SHA}`],
  ])('%s allows %s', (pattern, reference) => {
    expect(parseImagePattern(pattern)).toEqual(expect.objectContaining({ text: pattern }));
    expect(allows(pattern, reference)).toBe(true);
  });

  it.each([
    // the finding: a port makes "ubuntu:5000" a registry host of the attacker's choice
    ['ubuntu:*', 'ubuntu:5000/evil'],
    ['ubuntu:*', 'ubuntu:5000/ubuntu'],
    ['ubuntu:*', 'ubuntu:5000/library/ubuntu:1'],
    ['debian:*', 'debian:443/debian:12'],
    // other registries and namespaces are other images
    ['ubuntu:*', 'quay.io/ubuntu:24.04'],
    ['ubuntu:*', 'evil/ubuntu:24.04'],
    ['ubuntu:*', 'registry-1.docker.io/library/ubuntu:24.04'],
    ['ubuntu:*', 'localhost/ubuntu:24.04'],
    ['ubuntu:*', 'ubuntu-evil:1'],
    ['*', 'myorg/ubuntu'],
    ['*', 'quay.io/ubuntu'],
    // a wildcard stays inside its part: no extra path parts, no longer host names, no other ports
    ['public.ecr.aws/docker/library/*', 'public.ecr.aws/docker/library/x/ubuntu'],
    ['public.ecr.aws/docker/library/*', 'public.ecr.aws.evil.example/docker/library/ubuntu'],
    ['public.ecr.aws/docker/library/*', 'public.ecr.aws:443/docker/library/ubuntu'],
    ['public.ecr.aws/*', 'public.ecr.aws/docker/library/ubuntu'],
    ['*.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/library/ubuntu:*', 'evil.example.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/library/ubuntu:1'],
    ['*.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/library/ubuntu:*', 'dkr.ecr.eu-west-1.amazonaws.com/docker-hub/library/ubuntu:1'],
    ['localhost:5000/team/*', 'localhost/team/ubuntu'],
    ['localhost:5000/team/*', 'localhost:5001/team/ubuntu'],
    ['localhost:*/team/*', 'localhost/team/ubuntu'],
    ['[::1]:5000/ubuntu:*', '[::2]:5000/ubuntu:1'],
    // tags and digests
    ['ubuntu:24.04', 'ubuntu:24.04.1'],
    ['ubuntu:latest', 'ubuntu:24.04'],
    ['ubuntu:*', `ubuntu@sha256:${SHA}`],
    // a registry serves the digest whatever the tag says: a pinned tag cannot vouch for a digest
    ['ubuntu:24.04', `ubuntu:24.04@sha256:${SHA}`],
    [`ubuntu@sha256:${SHA}`, `ubuntu@sha256:${OTHER_SHA}`],
    [`ubuntu@sha256:${SHA}`, 'ubuntu:24.04'],
  ])('%s refuses %s', (pattern, reference) => {
    expect(typeof parseImagePattern(pattern)).not.toBe('string');
    expect(allows(pattern, reference)).toBe(false);
  });

  it.each([
    ['', 'empty'],
    ['bad pattern', 'only letters'],
    ['ubuntu:*;rm', 'only letters'],
    ['Ubuntu:*', 'must be lower case'],
    ['quay.io/Org/*', 'must be lower case'],
    ['ubuntu//*', 'no empty part'],
    ['/ubuntu', 'no empty part'],
    ['ubuntu/', 'no empty part'],
    ['../*', 'registry host ".."'],
    ['a/../*', 'must be "/"-separated parts'],
    ['-*', 'must be "/"-separated parts'],
    ['ubuntu:.*', 'the tag ".*"'],
    ['ubuntu:*@md5:x', 'the digest "md5:x"'],
    ['ubuntu@sha256:abc', 'the digest "sha256:abc"'],
    ['exa_mple.com/*', 'registry host "exa_mple.com"'],
    ['example.com:http/*', 'registry port'],
    ['a'.repeat(256), 'at most 255'],
  ])('refuses the pattern %j, saying why (%s)', (pattern, why) => {
    const result = parseImagePattern(pattern);
    expect(typeof result).toBe('string');
    expect(result).toContain(why);
  });

  it('allows nothing when the list is empty, and ignores a pattern that does not parse', () => {
    expect(isAllowedImage(ref('ubuntu:24.04'), [])).toBe(false);
    expect(isAllowedImage(ref('ubuntu:24.04'), ['Ubuntu:*'])).toBe(false);
    expect(isAllowedImage(ref('ubuntu:24.04'), ['Ubuntu:*', 'ubuntu:24.*'])).toBe(true);
  });
});
