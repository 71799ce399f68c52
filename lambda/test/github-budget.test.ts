import { describe, expect, it } from '@jest/globals';
import { asOf, classifyRateLimit, housekeepingAllowance, LOW_BUDGET_LOOKUPS, observe, parseRateLimitHeaders, PUBLISH_INTERVAL_MS, shouldPublish, waitMs } from '../src/domain/github-budget.js';

const NOW = Date.parse('2026-11-28T10:00:00Z');
const resetSeconds = NOW / 1000 + 1800;
const headers = (remaining: number, extra: Record<string, string> = {}) => ({
  'x-ratelimit-limit': '5000',
  'x-ratelimit-remaining': String(remaining),
  'x-ratelimit-reset': String(resetSeconds),
  'x-ratelimit-resource': 'core',
  ...extra,
});

describe("GitHub's rate-limit budget", () => {
  it('reads the core budget from an answer and ignores other resources (search)', () => {
    expect(parseRateLimitHeaders(headers(4321), NOW)).toEqual({ remaining: 4321, limit: 5000, resetAt: resetSeconds * 1000, observedAt: NOW });
    expect(parseRateLimitHeaders({ ...headers(10), 'x-ratelimit-resource': 'search' }, NOW)).toBeUndefined();
    expect(parseRateLimitHeaders({}, NOW)).toBeUndefined();
  });

  it('tells a primary limit (remaining 0) from a secondary one (retry-after or its message), 403 or 429', () => {
    expect(classifyRateLimit(403, 'API rate limit exceeded for user', headers(0))).toBe('primary');
    expect(classifyRateLimit(429, 'API rate limit exceeded', headers(0))).toBe('primary');
    expect(classifyRateLimit(403, 'You have exceeded a secondary rate limit.', headers(2000))).toBe('secondary');
    expect(classifyRateLimit(429, 'Too Many Requests', headers(2000, { 'retry-after': '30' }))).toBe('secondary');
    expect(classifyRateLimit(403, 'Resource not accessible by integration', headers(2000))).toBeUndefined();
    expect(classifyRateLimit(200, undefined, headers(0))).toBeUndefined();
  });

  it('waits until one second past the reset after a primary limit, and retry-after after a secondary one', () => {
    const primary = observe({ status: 403, message: 'API rate limit exceeded', headers: headers(0) }, NOW);
    expect(primary).toMatchObject({ remaining: 0, blockedUntil: resetSeconds * 1000 + 1000 });
    expect(waitMs(primary, NOW)).toBe(1800_000 + 1000);
    const secondary = observe({ status: 403, message: 'secondary rate limit', headers: headers(2000, { 'retry-after': '45' }) }, NOW);
    expect(secondary).toMatchObject({ remaining: 2000, blockedUntil: NOW + 45_000 });
    expect(waitMs(secondary, NOW + 45_000)).toBe(0);
  });

  it('counts a window that has reset as full again', () => {
    const spent = observe({ status: 200, headers: headers(0) }, NOW)!;
    expect(waitMs(spent, NOW)).toBeGreaterThan(0);
    expect(asOf(spent, resetSeconds * 1000 + 1)).toMatchObject({ remaining: 5000 });
    expect(waitMs(spent, resetSeconds * 1000 + 1000)).toBe(0);
  });

  it('publishes a new wait, a new window or crossing the reserve at once, other answers at most every 10 s', () => {
    const published = observe({ status: 200, headers: headers(3000) }, NOW)!;
    const later = (ms: number, remaining: number, extra: Record<string, string> = {}) => observe({ status: 200, headers: headers(remaining, extra) }, NOW + ms)!;
    expect(shouldPublish(undefined, published, 500)).toBe(true);
    expect(shouldPublish(published, later(1_000, 2990), 500)).toBe(false);
    expect(shouldPublish(published, later(PUBLISH_INTERVAL_MS, 2900), 500)).toBe(true);
    expect(shouldPublish(published, later(1_000, 499), 500)).toBe(true);
    expect(shouldPublish(published, later(1_000, 4999, { 'x-ratelimit-reset': String(resetSeconds + 3600) }), 500)).toBe(true);
    expect(shouldPublish(published, observe({ status: 403, message: 'secondary rate limit', headers: headers(2990, { 'retry-after': '60' }) }, NOW + 1_000)!, 500)).toBe(true);
    // An answer older than what was published never overwrites it.
    expect(shouldPublish(published, later(-1_000, 10), 500)).toBe(false);
  });

  it('lets housekeeping sweep freely above the reserve, and below it skip the ghost sweep and look up at most 5 jobs', () => {
    expect(housekeepingAllowance(undefined, 500, NOW)).toEqual({ sweepGhosts: true });
    expect(housekeepingAllowance(observe({ status: 200, headers: headers(800) }, NOW), 500, NOW)).toEqual({ sweepGhosts: true });
    expect(housekeepingAllowance(observe({ status: 200, headers: headers(499) }, NOW), 500, NOW)).toEqual({ sweepGhosts: false, maxJobLookups: LOW_BUDGET_LOOKUPS });
    expect(housekeepingAllowance(observe({ status: 200, headers: headers(2) }, NOW), 500, NOW)).toEqual({ sweepGhosts: false, maxJobLookups: 2 });
    expect(housekeepingAllowance(observe({ status: 403, message: 'x', headers: headers(0) }, NOW), 500, NOW)).toEqual({ sweepGhosts: false, maxJobLookups: 0 });
  });
});
