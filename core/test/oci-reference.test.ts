import { describe, expect, it } from '@jest/globals';
import { parseImageReference, type ImageReference } from '../src/oci-reference.js';

const SHA = 'a'.repeat(64);

function parsed(ref: string): ImageReference {
  const result = parseImageReference(ref);
  if (typeof result === 'string') throw new Error(`${ref}: ${result}`);
  return result;
}

describe('image references are read as Docker reads them (issue 14)', () => {
  it.each([
    // Docker Hub, written four ways
    ['ubuntu', 'docker.io', 'library/ubuntu', 'docker.io/library/ubuntu:latest'],
    ['library/ubuntu', 'docker.io', 'library/ubuntu', 'docker.io/library/ubuntu:latest'],
    ['docker.io/ubuntu', 'docker.io', 'library/ubuntu', 'docker.io/library/ubuntu:latest'],
    ['docker.io/library/ubuntu:22.04', 'docker.io', 'library/ubuntu', 'docker.io/library/ubuntu:22.04'],
    ['index.docker.io/ubuntu:24.04', 'docker.io', 'library/ubuntu', 'docker.io/library/ubuntu:24.04'],
    ['myorg/ubuntu', 'docker.io', 'myorg/ubuntu', 'docker.io/myorg/ubuntu:latest'],
    // registry-1.docker.io is Hub's API host, but the reference grammar treats it as a registry of its own
    ['registry-1.docker.io/ubuntu', 'registry-1.docker.io', 'ubuntu', 'registry-1.docker.io/ubuntu:latest'],
    // ports make a host: "ubuntu:5000" is a registry, not the ubuntu image
    ['ubuntu:5000/evil', 'ubuntu:5000', 'evil', 'ubuntu:5000/evil:latest'],
    ['registry.example.com:5000/team/ubuntu:24.04', 'registry.example.com:5000', 'team/ubuntu', 'registry.example.com:5000/team/ubuntu:24.04'],
    ['Registry.Example.COM/team/ubuntu', 'registry.example.com', 'team/ubuntu', 'registry.example.com/team/ubuntu:latest'],
    // localhost is a host only before a "/"; alone it is an image name, and ":5000" then is its tag
    ['localhost/ubuntu', 'localhost', 'ubuntu', 'localhost/ubuntu:latest'],
    ['localhost:5000/x', 'localhost:5000', 'x', 'localhost:5000/x:latest'],
    ['localhost', 'docker.io', 'library/localhost', 'docker.io/library/localhost:latest'],
    ['localhost:5000', 'docker.io', 'library/localhost', 'docker.io/library/localhost:5000'],
    // upper case in a first part without "." or ":" makes it a host, as in Docker
    ['Team/ubuntu', 'Team', 'ubuntu', 'Team/ubuntu:latest'],
    // IPv6 hosts, bracketed, with or without a port
    ['[::1]:5000/ubuntu:24.04', '[::1]:5000', 'ubuntu', '[::1]:5000/ubuntu:24.04'],
    ['[2001:db8::1]/team/ubuntu', '[2001:db8::1]', 'team/ubuntu', '[2001:db8::1]/team/ubuntu:latest'],
    ['10.0.0.7:5000/ubuntu', '10.0.0.7:5000', 'ubuntu', '10.0.0.7:5000/ubuntu:latest'],
    // ECR, private and public
    ['123456789012.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/library/ubuntu:24.04', '123456789012.dkr.ecr.eu-west-1.amazonaws.com', 'docker-hub/library/ubuntu', '123456789012.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/library/ubuntu:24.04'],
    ['public.ecr.aws/docker/library/debian:bookworm-slim', 'public.ecr.aws', 'docker/library/debian', 'public.ecr.aws/docker/library/debian:bookworm-slim'],
    // digests, with and without a tag (no default tag beside a digest)
    [`ubuntu@sha256:${SHA}`, 'docker.io', 'library/ubuntu', `docker.io/library/ubuntu@sha256:${SHA}`],
    [`ubuntu:24.04@sha256:${SHA}`, 'docker.io', 'library/ubuntu', `docker.io/library/ubuntu:24.04@sha256:${SHA}`],
    [`quay.io/org/debian@sha512:${'f'.repeat(128)}`, 'quay.io', 'org/debian', `quay.io/org/debian@sha512:${'f'.repeat(128)}`],
    // separators the grammar allows, and tags that may be upper case
    ['my-org/deb__ian.x--y:Tag_1.0-RC', 'docker.io', 'my-org/deb__ian.x--y', 'docker.io/my-org/deb__ian.x--y:Tag_1.0-RC'],
  ])('reads %s as registry %s, path %s (%s)', (ref, domain, path, canonical) => {
    expect(parsed(ref)).toMatchObject({ original: ref, domain, path, canonical });
  });

  it('writes a canonical form that reads back as itself', () => {
    for (const ref of ['ubuntu', 'Team/ubuntu', 'localhost:5000', `ubuntu:1@sha256:${SHA}`, '[::1]:5000/x', 'Registry.Example.COM/x']) {
      expect(parsed(parsed(ref).canonical).canonical).toBe(parsed(ref).canonical);
    }
  });

  it.each([
    ['', 'empty'],
    ['Ubuntu', 'must be lower case'],
    ['ubuntu/UPPER:1', 'must be lower case'],
    ['quay.io/Org/ubuntu', 'must be lower case'],
    ['../../etc', 'registry host ".."'],
    ['ubuntu/../x', 'path part ".."'],
    ['a..b', 'path part "a..b"'],
    ['ubuntu//x', 'empty part'],
    ['/ubuntu', 'empty part'],
    ['ubuntu/', 'empty part'],
    ['quay.io/', 'empty'],
    ['-ubuntu', 'path part "-ubuntu"'],
    ['ubuntu-', 'path part "ubuntu-"'],
    ['ubuntu.', 'path part "ubuntu."'],
    ['_ubuntu', 'path part "_ubuntu"'],
    ['a___b', 'path part "a___b"'],
    ['a.-b', 'path part "a.-b"'],
    ['ubuntu:', 'the tag ""'],
    ['ubuntu:.hidden', 'the tag ".hidden"'],
    [`ubuntu:${'t'.repeat(129)}`, 'at most 128'],
    ['ubuntu:24.04:extra', 'path part "ubuntu:24.04"'],
    ['ubuntu@', 'digest ""'],
    [`ubuntu@sha256:${'a'.repeat(63)}`, 'exactly 64'],
    [`ubuntu@sha256:${'A'.repeat(64)}`, 'exactly 64'],
    [`ubuntu@sha256:${'a'.repeat(32)}`, 'exactly 64'],
    [`ubuntu@md5:${'a'.repeat(32)}`, 'must be sha256'],
    [`ubuntu@sha256:${SHA}@sha256:${SHA}`, 'must be sha256'],
    [SHA, 'image id'],
    ['example.com:notaport/x', 'port'],
    ['exa_mple.com/x', 'registry host "exa_mple.com"'],
    ['-bad.example.com/x', 'registry host'],
    ['[::1/x', 'registry port in "[::1"'],
    ['[fe80::1%eth0]/x', 'registry host'],
    ['ubuntu 24.04', 'whitespace'],
    ['ubuntu\t', 'whitespace'],
    ['ubuntu\n', 'whitespace'],
    ['ubu\u0000ntu', 'control character'],
    ['ubuntü', 'non-ASCII'],
    ['ubuntu;rm -rf /', 'whitespace'],
    ['$(curl)', 'path part "$(curl)"'],
    [`${'a'.repeat(250)}`, 'longer than 255'],
    [`myorg/${'a'.repeat(240)}`, 'longer than 255'],
    ['a'.repeat(300), '300 characters'],
  ])('refuses %j, saying why (%s)', (ref, why) => {
    const result = parseImageReference(ref);
    expect(typeof result).toBe('string');
    expect(result).toContain(why);
  });

  it('accepts a repository name of exactly 255 characters, counted after normalization', () => {
    expect(parsed(`quay.io/${'a'.repeat(247)}`)).toMatchObject({ domain: 'quay.io', path: 'a'.repeat(247) });
    expect(parsed(`myorg/${'a'.repeat(239)}`).canonical).toBe(`docker.io/myorg/${'a'.repeat(239)}:latest`);
  });
});
