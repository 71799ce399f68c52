/**
 * GitHub's REST rate limit as the fleet sees it: every answer carries
 * x-ratelimit-limit, -remaining, -reset (epoch seconds) and -resource, and a
 * refused request says which limit it hit (GitHub's "Rate limits for the REST
 * API"): primary = 403 or 429 with x-ratelimit-remaining 0, wait until
 * x-ratelimit-reset; secondary = 403 or 429 with retry-after (seconds) or the
 * "secondary rate limit" message, wait retry-after or at least a minute.
 * Pure functions: the store (adapters/github-budget-store.ts) keeps the result
 * where every Lambda instance sees it.
 */

/** What is known of the budget: one observation of the headers, or the wait a refusal imposed. */
export interface GitHubBudgetState {
  /** Requests left in the current window (0 while a primary limit holds). */
  remaining: number;
  limit: number;
  /** When the window resets (ms since epoch). */
  resetAt: number;
  /** GitHub refused requests until this time (ms since epoch): a primary or secondary limit; absent when none holds. */
  blockedUntil?: number;
  /** When the answer this comes from was received (ms since epoch): the newer observation wins. */
  observedAt: number;
}

export type RateLimitKind = 'primary' | 'secondary';

type Headers = Record<string, string | number | undefined>;

/** GitHub's guidance for a secondary limit that names no retry-after: wait at least a minute. */
export const SECONDARY_FALLBACK_SECONDS = 60;

const header = (headers: Headers, name: string): string | undefined => {
  const value = headers[name] ?? headers[name.toLowerCase()];
  return value === undefined ? undefined : String(value);
};

const whole = (raw: string | undefined): number | undefined => {
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
};

/** The core budget from one answer's headers; undefined when the answer carries none (or another resource's, e.g. search). */
export function parseRateLimitHeaders(headers: Headers, observedAt: number): GitHubBudgetState | undefined {
  const resource = header(headers, 'x-ratelimit-resource');
  if (resource !== undefined && resource !== 'core') return undefined;
  const remaining = whole(header(headers, 'x-ratelimit-remaining'));
  const limit = whole(header(headers, 'x-ratelimit-limit'));
  const reset = whole(header(headers, 'x-ratelimit-reset'));
  if (remaining === undefined || limit === undefined || reset === undefined) return undefined;
  return { remaining, limit, resetAt: reset * 1000, observedAt };
}

/** Which limit refused an answer, if any. */
export function classifyRateLimit(status: number | undefined, message: string | undefined, headers: Headers): RateLimitKind | undefined {
  if (status !== 403 && status !== 429) return undefined;
  if (header(headers, 'retry-after') !== undefined || /\bsecondary rate limit\b/i.test(message ?? '')) return 'secondary';
  if (header(headers, 'x-ratelimit-remaining') === '0') return 'primary';
  // GitHub documents 429 as a rate limit either way; without the headers it is treated as a secondary one.
  return status === 429 ? 'secondary' : undefined;
}

/** Until when a refused answer asks the fleet to wait (ms since epoch). */
export function blockedUntil(kind: RateLimitKind, headers: Headers, observedAt: number): number {
  const retryAfter = whole(header(headers, 'retry-after'));
  if (retryAfter !== undefined) return observedAt + retryAfter * 1000;
  const reset = whole(header(headers, 'x-ratelimit-reset'));
  // One second past the reset, as GitHub's documentation advises.
  if (kind === 'primary' && reset !== undefined) return Math.max(reset * 1000 + 1000, observedAt);
  return observedAt + SECONDARY_FALLBACK_SECONDS * 1000;
}

/** The state after one answer: its headers, and the wait it imposes when it was refused. */
export function observe(answer: { status?: number; message?: string; headers: Headers }, observedAt: number, previous?: GitHubBudgetState): GitHubBudgetState | undefined {
  const parsed = parseRateLimitHeaders(answer.headers, observedAt);
  const kind = classifyRateLimit(answer.status, answer.message, answer.headers);
  if (!kind) return parsed;
  const base = parsed ?? previous ?? { remaining: 0, limit: 0, resetAt: observedAt, observedAt };
  return { ...base, observedAt, ...(kind === 'primary' ? { remaining: 0 } : {}), blockedUntil: blockedUntil(kind, answer.headers, observedAt) };
}

/** The newer of two observations (the store keeps only the newest; older answers that arrive late lose). */
export function newer(a: GitHubBudgetState | undefined, b: GitHubBudgetState | undefined): GitHubBudgetState | undefined {
  if (!a) return b;
  if (!b) return a;
  return b.observedAt >= a.observedAt ? b : a;
}

/** The budget as of `now`: a window that has reset is full again, a wait that has passed is over. */
export function asOf(state: GitHubBudgetState | undefined, now: number): GitHubBudgetState | undefined {
  if (!state) return undefined;
  const { blockedUntil: until, ...rest } = state;
  const current = now >= state.resetAt && state.limit > 0 ? { ...rest, remaining: state.limit } : rest;
  return until !== undefined && until > now ? { ...current, blockedUntil: until } : current;
}

/** ms until GitHub takes requests again (0: it does now, or nothing is known). */
export function waitMs(state: GitHubBudgetState | undefined, now: number): number {
  const current = asOf(state, now);
  if (!current) return 0;
  if (current.blockedUntil !== undefined) return current.blockedUntil - now;
  return current.remaining <= 0 ? Math.max(current.resetAt + 1000 - now, 0) : 0;
}

/** Writes to the shared item at most this often, unless the observation changes what others must do. */
export const PUBLISH_INTERVAL_MS = 10_000;

/**
 * Whether an observation is worth a write to the shared item: a new wait, a
 * new window, crossing the housekeeping reserve, or the interval passed.
 */
export function shouldPublish(published: GitHubBudgetState | undefined, next: GitHubBudgetState, reserve: number): boolean {
  if (!published) return true;
  if (next.observedAt <= published.observedAt) return false;
  if (next.blockedUntil !== undefined && next.blockedUntil !== published.blockedUntil) return true;
  if (next.resetAt !== published.resetAt) return true;
  if (next.remaining < reserve !== published.remaining < reserve) return true;
  return next.observedAt - published.observedAt >= PUBLISH_INTERVAL_MS;
}

/** Job lookups housekeeping may make per run while the budget is below the reserve (JIT registrations come first). */
export const LOW_BUDGET_LOOKUPS = 5;

/**
 * What housekeeping may spend on GitHub this run: everything (undefined
 * limits) while the budget is above `reserve` or unknown; below it, no ghost
 * sweep and at most LOW_BUDGET_LOOKUPS job lookups, so what is left goes to
 * the JIT registrations of waiting jobs.
 */
export function housekeepingAllowance(state: GitHubBudgetState | undefined, reserve: number, now: number): { sweepGhosts: boolean; maxJobLookups?: number } {
  const current = asOf(state, now);
  if (!current) return { sweepGhosts: true };
  if (current.blockedUntil !== undefined) return { sweepGhosts: false, maxJobLookups: 0 };
  if (current.remaining >= reserve) return { sweepGhosts: true };
  return { sweepGhosts: false, maxJobLookups: Math.min(LOW_BUDGET_LOOKUPS, current.remaining) };
}
