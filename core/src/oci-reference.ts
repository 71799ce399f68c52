/**
 * OCI / Docker image references, by the grammar of the distribution
 * project's `reference` package (docs/design-notes.md, "Image references"):
 *
 *   reference := name [":" tag] ["@" digest]
 *   name      := [registry "/"] path
 *   registry  := host [":" port]       host: DNS name, IPv4, or "[" IPv6 "]"
 *   path      := component ("/" component)*
 *   component := [a-z0-9]+ (("." | "_" | "__" | "-"+) [a-z0-9]+)*
 *   tag       := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *   digest    := sha256:<64 hex> | sha384:<96 hex> | sha512:<128 hex>   (lower-case hex)
 *
 * The first part of a name is a registry only when it looks like a host (has
 * a "." or a ":", is "localhost", or has upper case); otherwise the name is on
 * Docker Hub. Docker Hub names are normalized as the reference library does:
 * `ubuntu` → `docker.io/library/ubuntu`, `index.docker.io` → `docker.io`.
 */

export const MAX_REFERENCE_LENGTH = 255;
/** The distribution spec's limit on a repository name. */
export const MAX_NAME_LENGTH = 255;
export const MAX_TAG_LENGTH = 128;

export const DOCKER_HUB = 'docker.io';
/** The hosts the reference library reads as Docker Hub (registry-1.docker.io is not one: it names itself). */
const DOCKER_HUB_ALIASES = new Set([DOCKER_HUB, 'index.docker.io']);
const OFFICIAL_NAMESPACE = 'library';

/** The grammar's parts, anchored (image patterns check their parts against the same ones). */
export const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
export const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
export const IPV6_HOST = /^\[[a-fA-F0-9:]+\]$/;
export const PORT = /^[0-9]+$/;
export const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/** go-digest's registered algorithms and the exact length of their lower-case hex encoding. */
const DIGEST_HEX_LENGTH: ReadonlyMap<string, number> = new Map([
  ['sha256', 64],
  ['sha384', 96],
  ['sha512', 128],
]);
/** Only printable ASCII can be part of a reference; whitespace and control characters never can. */
const REFERENCE_CHARS = /^[\x21-\x7e]+$/;

export interface ImageReference {
  /** As written in the label. */
  original: string;
  /** Registry host and port (lower case when it has a "." or a port), `docker.io` when none is written. */
  domain: string;
  /** Repository path, with `library/` for Docker Hub official images. */
  path: string;
  tag?: string;
  digest?: string;
  /** `domain/path[:tag][@digest]`, tag `latest` when neither tag nor digest is given. */
  canonical: string;
}

/** A reference split into its parts, not yet checked against the grammar. */
export interface ReferenceParts {
  /** The registry as written, when the name has one. */
  registry?: string;
  path: string;
  tag?: string;
  digest?: string;
}

/**
 * Splits `text` into registry, path, tag and digest without judging the parts
 * (patterns reuse it). The digest follows the first "@"; the tag follows the
 * last ":" after the last "/"; the first "/"-part is the registry when it looks
 * like a host.
 */
export function splitReference(text: string): ReferenceParts {
  const at = text.indexOf('@');
  const nameAndTag = at < 0 ? text : text.slice(0, at);
  const digest = at < 0 ? undefined : text.slice(at + 1);
  const colon = nameAndTag.lastIndexOf(':');
  const hasTag = colon > nameAndTag.lastIndexOf('/');
  const name = hasTag ? nameAndTag.slice(0, colon) : nameAndTag;
  const tag = hasTag ? nameAndTag.slice(colon + 1) : undefined;
  const slash = name.indexOf('/');
  const first = slash < 0 ? undefined : name.slice(0, slash);
  const isRegistry = first !== undefined && (first === 'localhost' || /[.:]/.test(first) || first !== first.toLowerCase());
  return isRegistry ? { registry: first, path: name.slice(slash + 1), tag, digest } : { path: name, tag, digest };
}

/** Parses `ref`, or returns a sentence saying why it is not a valid reference. */
export function parseImageReference(ref: string): ImageReference | string {
  if (ref.length === 0) return 'the image reference is empty';
  if (ref.length > MAX_REFERENCE_LENGTH) {
    return `the image reference is ${ref.length} characters; at most ${MAX_REFERENCE_LENGTH} are allowed`;
  }
  if (!REFERENCE_CHARS.test(ref)) return 'not a valid OCI image reference: it contains whitespace, a control character or a non-ASCII character';
  if (/^[a-f0-9]{64}$/.test(ref)) return 'not a valid OCI image reference: a 64-character hex string is an image id, not a name';
  const parts = splitReference(ref);
  const problem = registryProblem(parts.registry) ?? pathProblem(parts.path) ?? tagProblem(parts.tag) ?? digestProblem(parts.digest);
  if (problem) return `not a valid OCI image reference: ${problem}`;
  const { domain, path } = normalizeName(parts.registry, parts.path);
  const nameLength = `${domain}/${path}`.length;
  if (nameLength > MAX_NAME_LENGTH) {
    return `not a valid OCI image reference: the repository name is ${nameLength} characters as ${domain}/…; it must not be longer than ${MAX_NAME_LENGTH}`;
  }
  const { tag, digest } = parts;
  const canonical = `${domain}/${path}${tag || !digest ? `:${tag ?? 'latest'}` : ''}${digest ? `@${digest}` : ''}`;
  return { original: ref, domain, path, tag, digest, canonical };
}

/** The registry and path as Docker reads them: Docker Hub when no registry is named, `library/` for one-part Hub paths. */
export function normalizeName(registry: string | undefined, path: string): { domain: string; path: string } {
  const host = registry === undefined ? DOCKER_HUB : lowerCaseHost(registry);
  const domain = DOCKER_HUB_ALIASES.has(host) ? DOCKER_HUB : host;
  return { domain, path: domain === DOCKER_HUB && !path.includes('/') ? `${OFFICIAL_NAMESPACE}/${path}` : path };
}

/**
 * Host names are case-insensitive (DNS), so a host with a "." or a port is
 * written in lower case. A bare host such as `Registry` keeps its case: its
 * upper case is what makes Docker read it as a host, not a Docker Hub namespace.
 */
function lowerCaseHost(registry: string): string {
  return /[.:]/.test(registry) ? registry.toLowerCase() : registry;
}

/** `host[:port]`, where an IPv6 host is bracketed (`[::1]:5000`). */
export function splitHostPort(registry: string): { host: string; port?: string } {
  const close = registry.startsWith('[') ? registry.indexOf(']') : -1;
  const colon = registry.indexOf(':', close + 1);
  return colon < 0 ? { host: registry } : { host: registry.slice(0, colon), port: registry.slice(colon + 1) };
}

function registryProblem(registry: string | undefined): string | undefined {
  if (registry === undefined) return undefined;
  const { host, port } = splitHostPort(registry);
  if (port !== undefined && !PORT.test(port)) return `the registry port in "${registry}" must be digits`;
  if (IPV6_HOST.test(host)) return undefined;
  if (host.split('.').every((label) => DOMAIN_COMPONENT.test(label))) return undefined;
  return `the registry host "${host}" is not a host name (letters, digits and inner "-", parts joined by "."), an IPv4 address or a bracketed IPv6 address`;
}

function pathProblem(path: string): string | undefined {
  if (path === '') return 'the repository name is empty';
  if (path !== path.toLowerCase()) return `the repository path "${path}" must be lower case`;
  for (const component of path.split('/')) {
    if (component === '') return `the repository path "${path}" has an empty part (leading, trailing or doubled "/")`;
    if (!PATH_COMPONENT.test(component)) {
      return `the path part "${component}" must be lower-case letters and digits, joined by one ".", one or two "_", or "-" (no leading, trailing or doubled separators, no "..")`;
    }
  }
  return undefined;
}

function tagProblem(tag: string | undefined): string | undefined {
  if (tag === undefined) return undefined;
  if (tag.length > MAX_TAG_LENGTH) return `the tag is ${tag.length} characters; at most ${MAX_TAG_LENGTH} are allowed`;
  if (!TAG.test(tag)) return `the tag "${tag}" must be letters, digits, "_", "." and "-", not starting with "." or "-"`;
  return undefined;
}

function digestProblem(digest: string | undefined): string | undefined {
  if (digest === undefined) return undefined;
  const [algorithm = '', hex, ...rest] = digest.split(':');
  const length = DIGEST_HEX_LENGTH.get(algorithm);
  if (length === undefined || hex === undefined || rest.length > 0) {
    return `the digest "${digest}" must be sha256:<64 hex>, sha384:<96 hex> or sha512:<128 hex>`;
  }
  if (!new RegExp(`^[a-f0-9]{${length}}$`).test(hex)) return `the ${algorithm} digest must be exactly ${length} lower-case hex characters`;
  return undefined;
}
