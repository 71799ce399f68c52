/**
 * Retry of GitHub's 5xx answers and rate limits, as an Octokit plugin.
 *
 * It replaces @octokit/plugin-retry and @octokit/plugin-throttling: both run
 * every request through Bottleneck, whose local datastore yields to a
 * `setTimeout(0)` several times per job, so each call waited timers (about
 * 15 ms a call under load) before and after its fetch. Here a request that
 * succeeds schedules no timer at all; only a retry waits, and only as long as
 * GitHub asks or the backoff says.
 */
import type { Octokit } from '@octokit/core';
import { blockedUntil, classifyRateLimit } from '../domain/github-budget.js';
import { GitHubRateLimitedError } from '../domain/ports.js';

export interface RateLimitRequest {
  method: string;
  url: string;
}

/** Asked before waiting out a rate limit; `true` retries after `retryAfterSeconds`. */
export type RateLimitHandler = (retryAfterSeconds: number, request: RateLimitRequest, retryCount: number) => boolean;

export interface FleetRetryOptions {
  /** Statuses never retried (4xx the caller must handle); 403 and 429 are still examined for rate limits. */
  doNotRetry: number[];
  /** Retries of an error answer (5xx, or a 4xx not in `doNotRetry`). */
  retries: number;
  /** Base of the quadratic backoff for error answers: base × (retry + 1)². */
  retryBaseMs: number;
  onRateLimit: RateLimitHandler;
  onSecondaryRateLimit: RateLimitHandler;
  /** Seconds waited for a secondary limit that names no `retry-after` (GitHub's guidance: at least a minute). */
  fallbackSecondaryRetryAfterSeconds?: number;
  /** Injected in tests; `Date.now` otherwise. */
  now?: () => number;
  /** Sees every answer GitHub gives (success or failure, retries included): the budget is read from its headers. Must not reject. */
  onAnswer?: (answer: FailedAnswer & { headers: NonNullable<FailedAnswer['headers']> }) => void | Promise<void>;
}

/** What a failed answer looks like to the decision: Octokit's RequestError, narrowed. */
export interface FailedAnswer {
  status?: number;
  message?: string;
  headers?: Record<string, string | number | undefined>;
}

export type RetryDecision = { retry: false } | { retry: true; waitMs: number; kind: 'error' | 'rate-limit' | 'secondary-rate-limit' };

/** Counts per kind, so a long run of 5xx does not use up the rate-limit retries and the other way round. */
export interface RetryCounts {
  error: number;
  rateLimit: number;
}

const NO_RETRY: RetryDecision = { retry: false };

/** Decides, from one failed answer and the retries so far, whether and how long to wait before trying again. */
export function decideRetry(answer: FailedAnswer, request: RateLimitRequest, counts: RetryCounts, options: FleetRetryOptions): RetryDecision {
  const status = answer.status;
  if (typeof status !== 'number' || status < 400) return NO_RETRY;
  const headers = answer.headers ?? {};

  if (status === 403 || status === 429) {
    if (status === 429 || /\bsecondary rate\b/i.test(answer.message ?? '')) {
      const retryAfter = Number(headers['retry-after']) || (options.fallbackSecondaryRetryAfterSeconds ?? 60);
      return options.onSecondaryRateLimit(retryAfter, request, counts.rateLimit)
        ? { retry: true, waitMs: retryAfter * 1000, kind: 'secondary-rate-limit' }
        : NO_RETRY;
    }
    if (String(headers['x-ratelimit-remaining']) === '0') {
      const resetMs = Number(headers['x-ratelimit-reset']) * 1000;
      // One second past the reset, as GitHub's documentation advises.
      const retryAfter = Math.max(Math.ceil((resetMs - (options.now ?? Date.now)()) / 1000) + 1, 0);
      return options.onRateLimit(retryAfter, request, counts.rateLimit) ? { retry: true, waitMs: retryAfter * 1000, kind: 'rate-limit' } : NO_RETRY;
    }
  }

  if (options.doNotRetry.includes(status) || counts.error >= options.retries) return NO_RETRY;
  return { retry: true, waitMs: options.retryBaseMs * (counts.error + 1) ** 2, kind: 'error' };
}

/** A rate limit not waited out here becomes GitHubRateLimitedError: the caller decides when to try again. */
function rateLimited(answer: FailedAnswer & { headers: NonNullable<FailedAnswer['headers']> }, now: number, cause: unknown): GitHubRateLimitedError | undefined {
  const kind = classifyRateLimit(answer.status, answer.message, answer.headers);
  if (!kind) return undefined;
  const until = new Date(blockedUntil(kind, answer.headers, now));
  return new GitHubRateLimitedError(`GitHub ${kind} rate limit reached (HTTP ${answer.status}); GitHub takes requests again at ${until.toISOString()}`, until, kind, { cause });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type RequestOptions = { method: string; url: string; request?: { retryCount?: number } };
type RequestError = FailedAnswer & { response?: { headers?: FailedAnswer['headers'] } };

/** The plugin: `Octokit.plugin(fleetRetry)`, configured with `{ fleetRetry: FleetRetryOptions }`. */
export function fleetRetry(octokit: Octokit, octokitOptions: { fleetRetry?: FleetRetryOptions }): void {
  const options = octokitOptions.fleetRetry;
  if (!options) throw new Error('fleetRetry: the client needs its retry options');
  octokit.hook.wrap('request', async (request, requestOptions) => {
    const counts: RetryCounts = { error: 0, rateLimit: 0 };
    const { method, url } = requestOptions as unknown as RequestOptions;
    const now = options.now ?? Date.now;
    for (;;) {
      try {
        const response = await request(requestOptions);
        await options.onAnswer?.({ status: response.status, headers: (response.headers ?? {}) as Record<string, string> });
        return response;
      } catch (error) {
        const failed = error as RequestError;
        const answer = { status: failed.status, message: failed.message, headers: failed.response?.headers ?? {} };
        if (failed.response) await options.onAnswer?.(answer);
        const decision = decideRetry(answer, { method, url }, counts, options);
        if (!decision.retry) throw rateLimited(answer, now(), error) ?? error;
        if (decision.kind === 'error') counts.error++;
        else counts.rateLimit++;
        await sleep(decision.waitMs);
      }
    }
  });
}
