import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { isAllowedImage } from '../src/image-pattern.js';
import { IMAGE_TAG, imageTagFor, taskFamilyFor } from '../src/image-tag.js';
import { parseImageReference, type ImageReference } from '../src/oci-reference.js';

const component = fc.stringMatching(/^[a-z0-9]{1,8}([._-][a-z0-9]{1,8}){0,2}$/);
/** A first part with a "." would name a registry (as in Docker), so a Docker Hub path starts without one. */
const firstComponent = fc.stringMatching(/^[a-z0-9]{1,8}([_-][a-z0-9]{1,8}){0,2}$/);
const validRef = fc
  .record({
    registry: fc.option(fc.constantFrom('public.ecr.aws', 'quay.io', 'registry.example.com:5000', 'localhost:5000'), { nil: undefined }),
    path: fc.tuple(firstComponent, fc.array(component, { maxLength: 2 })).map(([first, rest]) => [first, ...rest]),
    tag: fc.option(fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/), { nil: undefined }),
  })
  .map(({ registry, path, tag }) => `${registry ? `${registry}/` : ''}${path.join('/')}${tag ? `:${tag}` : ''}`);

function parsed(ref: string): ImageReference {
  const result = parseImageReference(ref);
  if (typeof result === 'string') throw new Error(`${ref}: ${result}`);
  return result;
}

describe('image references and tags (properties)', () => {
  it('parses every well-formed reference and keeps what was written', () => {
    fc.assert(
      fc.property(validRef, (ref) => {
        const result = parsed(ref);
        expect(result.original).toBe(ref);
        expect(result.canonical).toContain(result.path);
      }),
    );
  });

  it('refuses any reference with a shell metacharacter or whitespace anywhere', () => {
    fc.assert(
      fc.property(validRef, fc.constantFrom(';', '|', '&', '$', '`', '(', ')', '<', '>', ' ', '\n', '\\', '"', "'", '*', '{', '}'), fc.nat(), (ref, bad, at) => {
        const i = at % (ref.length + 1);
        expect(typeof parseImageReference(ref.slice(0, i) + bad + ref.slice(i))).toBe('string');
      }),
    );
  });

  it('refuses ".." in the repository path (tags may contain dots)', () => {
    fc.assert(
      fc.property(fc.array(component, { minLength: 1, maxLength: 3 }), fc.nat(), (path, at) => {
        const i = at % path.length;
        const withDots = [...path.slice(0, i), '..', ...path.slice(i)].join('/');
        expect(typeof parseImageReference(withDots)).toBe('string');
      }),
    );
  });

  it('derives a valid ECR tag, the same every time', () => {
    fc.assert(
      fc.property(validRef, fc.stringMatching(/^[0-9a-f]{0,64}$/), (ref, context) => {
        const tag = imageTagFor(parsed(ref), context);
        expect(tag).toMatch(IMAGE_TAG);
        expect(imageTagFor(parsed(ref), context)).toBe(tag);
        expect(taskFamilyFor('fleet-runner', tag)).toMatch(/^[A-Za-z0-9_-]{1,255}$/);
      }),
    );
  });

  it('gives distinct references distinct tags, and a new build context a new tag', () => {
    fc.assert(
      fc.property(validRef, validRef, (a, b) => {
        fc.pre(parsed(a).canonical !== parsed(b).canonical);
        expect(imageTagFor(parsed(a), 'ctx')).not.toBe(imageTagFor(parsed(b), 'ctx'));
        expect(imageTagFor(parsed(a), 'ctx')).not.toBe(imageTagFor(parsed(a), 'ctx2'));
      }),
    );
  });

  it('writes a canonical form that reads back as itself, on the same registry', () => {
    fc.assert(
      fc.property(validRef, (ref) => {
        const again = parsed(parsed(ref).canonical);
        expect(again.canonical).toBe(parsed(ref).canonical);
        expect(again.domain).toBe(parsed(ref).domain);
      }),
    );
  });

  it('never lets a Docker Hub pattern allow a reference on another registry, whatever the wildcards', () => {
    const hubPattern = fc
      .tuple(fc.array(fc.constantFrom('*', '?', 'ubuntu', 'u*', '*u', 'library', 'lib*'), { minLength: 1, maxLength: 3 }), fc.option(fc.constantFrom('*', '2?.04', '*-slim'), { nil: undefined }))
      .map(([path, tag]) => `${path.join('/')}${tag ? `:${tag}` : ''}`);
    const otherRegistry = fc.constantFrom('ubuntu:5000', 'library:80', 'quay.io', 'docker.io.evil.example', 'localhost', 'localhost:5000', 'registry-1.docker.io', '[::1]', 'Ubuntu');
    fc.assert(
      fc.property(hubPattern, otherRegistry, validRef, (pattern, registry, ref) => {
        const { path, tag } = parsed(ref);
        const elsewhere = `${registry}/${path}${tag ? `:${tag}` : ''}`;
        const reference = parsed(elsewhere);
        expect(reference.domain).not.toBe('docker.io');
        expect(isAllowedImage(reference, [pattern])).toBe(false);
      }),
    );
  });

  it('reads the same image written two ways as one', () => {
    expect(imageTagFor(parsed('ubuntu:24.04'), 'c')).toBe(imageTagFor(parsed('docker.io/library/ubuntu:24.04'), 'c'));
    expect(imageTagFor(parsed('ubuntu:24.04'), 'c')).toMatch(/^img-ubuntu-24\.04-[0-9a-f]{16}$/);
  });
});
