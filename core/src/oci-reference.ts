/**
 * OCI image references (the grammar of the distribution project's
 * `reference` package): `[domain/]path[:tag][@digest]`, lower-case paths,
 * at most 255 characters. Anything else (shell metacharacters, `..`, upper
 * case in the path, empty parts) is refused.
 */
const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(
  `^(?:(${DOMAIN})/)?(${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`,
);

export const MAX_REFERENCE_LENGTH = 255;

export interface ImageReference {
  /** As written in the label. */
  original: string;
  /** Registry host, `docker.io` when none is written. */
  domain: string;
  /** Repository path, with `library/` for Docker Hub official images. */
  path: string;
  tag?: string;
  digest?: string;
  /** `domain/path[:tag][@digest]`, tag `latest` when neither tag nor digest is given. */
  canonical: string;
}

/** Parses `ref`, or returns a sentence saying why it is not a valid reference. */
export function parseImageReference(ref: string): ImageReference | string {
  if (ref.length === 0) return 'the image reference is empty';
  if (ref.length > MAX_REFERENCE_LENGTH) {
    return `the image reference is ${ref.length} characters; at most ${MAX_REFERENCE_LENGTH} are allowed`;
  }
  const match = REFERENCE.exec(ref);
  if (!match) {
    return 'not a valid OCI image reference (expected [registry/]name[:tag][@digest], lower-case name, no spaces or shell characters)';
  }
  const [, written, rawPath, tag, digest] = match;
  // A first component is a registry only if it looks like a host (as docker does).
  let domain = written;
  let path = rawPath!;
  if (domain && !/[.:]/.test(domain) && domain !== 'localhost' && domain === domain.toLowerCase()) {
    path = `${domain}/${path}`;
    domain = undefined;
  }
  domain ??= 'docker.io';
  if (domain === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  const canonical = `${domain}/${path}${tag || !digest ? `:${tag ?? 'latest'}` : ''}${digest ? `@${digest}` : ''}`;
  return { original: ref, domain, path, tag, digest, canonical };
}
