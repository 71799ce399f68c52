/**
 * Allow-list patterns for base images: `*` matches any run of characters
 * (including `/`), `?` exactly one; everything else matches itself.
 */
const PATTERN_CHARS = /^[A-Za-z0-9._:/@*?-]+$/;

export function isWellFormedGlob(pattern: string): boolean {
  return pattern.length > 0 && pattern.length <= 255 && PATTERN_CHARS.test(pattern);
}

export function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

export function matchesAnyGlob(value: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => globToRegExp(p).test(value));
}
