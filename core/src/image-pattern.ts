import { DOMAIN_COMPONENT, IPV6_HOST, normalizeName, PATH_COMPONENT, PORT, splitHostPort, splitReference, TAG, type ImageReference } from './oci-reference.js';

/**
 * Allow-list patterns for base images (ALLOWED_BASE_IMAGES): written like a
 * reference, `[registry/]repository[:tag][@digest]`, with `*` (any run of
 * characters) and `?` (one character) inside a part. A pattern is normalized
 * as a reference is (no registry means Docker Hub; `ubuntu:*` is
 * `docker.io/library/ubuntu:*`) and matched part by part against the
 * normalized reference, so a wildcard never reaches across "/", ":" or "@",
 * nor across the "." of a host name:
 *
 * - registry: the same host, label by label (case-insensitive), and the same port (none if the pattern has none);
 * - repository: the same number of "/"-parts, each matched on its own;
 * - tag: any tag when the pattern names none; else the reference's tag (`latest` when it names neither tag nor digest);
 * - digest: any digest or none when the pattern names none; else the reference's digest.
 *   A registry serves a digest whatever tag is written beside it, so a pattern
 *   that names a tag other than `*` and no digest refuses references with a digest.
 */
export interface ImagePattern {
  text: string;
  /** Registry host (lower case) and port, `docker.io` when none is written. */
  domain: string;
  path: string;
  tag?: string;
  digest?: string;
}

export const MAX_PATTERN_LENGTH = 255;

const WILDCARDS = /[*?]/g;
const PATTERN_CHARS = /^[A-Za-z0-9._:/@*?[\]-]+$/;
const DIGEST = /^(?:\*|(?:sha256:(?:[a-f0-9]{64}|\*))|(?:sha384:(?:[a-f0-9]{96}|\*))|(?:sha512:(?:[a-f0-9]{128}|\*)))$/;

/** What the wildcards stand for when a part is checked against the reference grammar. */
const asLetter = (part: string) => part.replace(WILDCARDS, 'a');
const asDigit = (part: string) => part.replace(WILDCARDS, '0');

/** Parses a pattern, or returns a sentence saying what is wrong with it. */
export function parseImagePattern(text: string): ImagePattern | string {
  if (text.length === 0) return 'the pattern is empty';
  if (text.length > MAX_PATTERN_LENGTH) return `the pattern is ${text.length} characters; at most ${MAX_PATTERN_LENGTH} are allowed`;
  if (!PATTERN_CHARS.test(text)) return 'a pattern may use only letters, digits, . _ - : / @ [ ] and the wildcards * and ?';
  const parts = splitReference(text);
  if (parts.registry !== undefined) {
    const { host, port } = splitHostPort(parts.registry);
    if (port !== undefined && !PORT.test(asDigit(port))) return `the registry port in "${parts.registry}" must be digits (or * and ?)`;
    const ipv6 = IPV6_HOST.test(host);
    if (!ipv6 && !host.split('.').every((label) => DOMAIN_COMPONENT.test(asLetter(label)))) {
      return `the registry host "${host}" is not a host name (letters, digits and inner "-", parts joined by ".")`;
    }
  }
  if (parts.path !== parts.path.toLowerCase()) return `the repository path "${parts.path}" must be lower case, as image repositories are`;
  const components = parts.path.split('/');
  if (components.some((c) => !PATH_COMPONENT.test(asLetter(c)))) {
    return `the repository path "${parts.path}" must be "/"-separated parts of lower-case letters and digits joined by ".", "_", "__" or "-" (wildcards allowed), with no empty part`;
  }
  if (parts.tag !== undefined && !TAG.test(asLetter(parts.tag))) return `the tag "${parts.tag}" must be letters, digits, "_", "." and "-" (wildcards allowed), at most 128 characters`;
  if (parts.digest !== undefined && !DIGEST.test(parts.digest)) return `the digest "${parts.digest}" must be *, sha256:* or a full sha256/sha384/sha512 digest`;
  const { domain, path } = normalizeName(parts.registry, parts.path);
  return { text, domain: domain.toLowerCase(), path, tag: parts.tag, digest: parts.digest };
}

/** Whether the normalized reference is one the pattern allows (see the rules above). */
export function matchesImagePattern(ref: ImageReference, pattern: ImagePattern): boolean {
  return (
    registryMatches(ref.domain.toLowerCase(), pattern.domain) &&
    partsMatch(ref.path.split('/'), pattern.path.split('/')) &&
    tagMatches(ref, pattern) &&
    digestMatches(ref, pattern)
  );
}

/** Whether any of `patterns` allows `ref`; patterns that do not parse allow nothing (they are refused at load). */
export function isAllowedImage(ref: ImageReference, patterns: readonly string[]): boolean {
  return patterns.some((text) => {
    const pattern = parseImagePattern(text);
    return typeof pattern !== 'string' && matchesImagePattern(ref, pattern);
  });
}

function registryMatches(domain: string, pattern: string): boolean {
  const actual = splitHostPort(domain);
  const wanted = splitHostPort(pattern);
  if ((actual.port === undefined) !== (wanted.port === undefined)) return false;
  if (actual.port !== undefined && !globMatches(actual.port, wanted.port!)) return false;
  // A bracketed IPv6 host is one part: "." does not split it.
  if (IPV6_HOST.test(actual.host) || IPV6_HOST.test(wanted.host)) return globMatches(actual.host, wanted.host);
  return partsMatch(actual.host.split('.'), wanted.host.split('.'));
}

function partsMatch(actual: string[], wanted: string[]): boolean {
  return actual.length === wanted.length && actual.every((part, i) => globMatches(part, wanted[i]!));
}

function tagMatches(ref: ImageReference, pattern: ImagePattern): boolean {
  if (pattern.tag === undefined) return true;
  const tag = ref.tag ?? (ref.digest ? undefined : 'latest');
  if (tag === undefined || !globMatches(tag, pattern.tag)) return false;
  return !(ref.digest && pattern.digest === undefined && pattern.tag !== '*');
}

function digestMatches(ref: ImageReference, pattern: ImagePattern): boolean {
  if (pattern.digest === undefined) return true;
  return ref.digest !== undefined && globMatches(ref.digest, pattern.digest);
}

function globMatches(value: string, glob: string): boolean {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`).test(value);
}
