import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Octokit } from '@octokit/rest';
import { decideRetry, fleetRetry, type FleetRetryOptions } from '../src/adapters/github-retry.js';
import { GitHubRateLimitedError } from '../src/domain/ports.js';

type Answer = { status: number; body?: unknown; headers?: Record<string, string> };

/** An Octokit with the plugin whose fetch plays back `answers` in order and counts the calls. */
function clientAnswering(answers: Answer[], overrides: Partial<FleetRetryOptions> = {}) {
  const seen = { calls: 0, rateLimits: [] as number[], secondary: [] as number[] };
  const fetch = async () => {
    const answer = answers[Math.min(seen.calls++, answers.length - 1)]!;
    return new Response(JSON.stringify(answer.body ?? {}), { status: answer.status, headers: { 'content-type': 'application/json', ...answer.headers } });
  };
  const options: FleetRetryOptions = {
    doNotRetry: [400, 401, 403, 404, 422],
    retries: 3,
    retryBaseMs: 1,
    onRateLimit: (after, _r, count) => (seen.rateLimits.push(after), count < 2 && after <= 20),
    onSecondaryRateLimit: (after, _r, count) => (seen.secondary.push(after), count < 2 && after <= 20),
    ...overrides,
  };
  const Client = Octokit.plugin(fleetRetry as never);
  const client = new Client({ auth: 'token', request: { fetch }, fleetRetry: options, log: { debug() {}, info() {}, warn() {}, error() {} } });
  return { client, seen };
}

const listRunners = (client: Octokit) => client.rest.actions.listSelfHostedRunnersForRepo({ owner: 'o', repo: 'r' });
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('GitHub retry plugin', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('schedules no timer for a request that succeeds', async () => {
    const { client, seen } = clientAnswering([{ status: 200, body: { total_count: 0, runners: [] } }]);
    const timers = jest.spyOn(globalThis, 'setTimeout');
    const answer = await listRunners(client);
    expect(answer.status).toBe(200);
    expect(seen.calls).toBe(1);
    expect(timers).not.toHaveBeenCalled();
  });

  it('retries a 5xx answer and returns the answer that follows', async () => {
    const { client, seen } = clientAnswering([{ status: 502 }, { status: 503 }, { status: 200, body: { total_count: 0, runners: [] } }]);
    expect((await listRunners(client)).status).toBe(200);
    expect(seen.calls).toBe(3);
  });

  it('gives up on 5xx after the configured retries, with the last error', async () => {
    const { client, seen } = clientAnswering([{ status: 500, body: { message: 'boom' } }]);
    await expect(listRunners(client)).rejects.toMatchObject({ status: 500 });
    expect(seen.calls).toBe(4);
  });

  it('never retries a status in doNotRetry', async () => {
    const { client, seen } = clientAnswering([{ status: 404, body: { message: 'Not Found' } }]);
    await expect(listRunners(client)).rejects.toMatchObject({ status: 404 });
    expect(seen.calls).toBe(1);
  });

  it('waits out a secondary rate limit (403 with retry-after) when the handler agrees', async () => {
    const { client, seen } = clientAnswering([
      { status: 403, body: { message: 'You have exceeded a secondary rate limit.' }, headers: { 'retry-after': '0' } },
      { status: 200, body: { total_count: 0, runners: [] } },
    ], { fallbackSecondaryRetryAfterSeconds: 0 });
    expect((await listRunners(client)).status).toBe(200);
    expect(seen.calls).toBe(2);
    expect(seen.secondary).toEqual([0]);
  });

  it('treats 429 as a secondary rate limit', async () => {
    const { client, seen } = clientAnswering([{ status: 429, body: { message: 'Too Many Requests' } }, { status: 200, body: { total_count: 0, runners: [] } }], { fallbackSecondaryRetryAfterSeconds: 0 });
    expect((await listRunners(client)).status).toBe(200);
    expect(seen.secondary).toEqual([0]);
  });

  it('stops retrying rate limits once the handler refuses', async () => {
    const limited: Answer = { status: 403, body: { message: 'You have exceeded a secondary rate limit.' }, headers: { 'retry-after': '0' } };
    const { client, seen } = clientAnswering([limited], { fallbackSecondaryRetryAfterSeconds: 0 });
    // Not waited out here: the caller gets the wait GitHub asked for, and decides (a launch waits queued).
    await expect(listRunners(client)).rejects.toMatchObject({ name: 'GitHubRateLimitedError', kind: 'secondary' });
    expect(seen.secondary).toEqual([0, 0, 0]);
    expect(seen.calls).toBe(3);
  });

  it('waits for the primary rate limit reset (403, remaining 0) and retries', async () => {
    const { client, seen } = clientAnswering([
      { status: 403, body: { message: 'API rate limit exceeded' }, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(nowSeconds() - 5) } },
      { status: 200, body: { total_count: 0, runners: [] } },
    ]);
    expect((await listRunners(client)).status).toBe(200);
    expect(seen.rateLimits).toEqual([0]);
  });

  it('does not retry a primary rate limit whose reset is further away than the handler accepts', async () => {
    const { client, seen } = clientAnswering([{ status: 403, body: { message: 'API rate limit exceeded' }, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(nowSeconds() + 600) } }]);
    const reset = nowSeconds() + 600;
    const error = await listRunners(client).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitHubRateLimitedError);
    // One second past the reset, as GitHub advises.
    expect((error as GitHubRateLimitedError).retryAt.getTime()).toBeGreaterThanOrEqual((reset - 1) * 1000);
    expect((error as GitHubRateLimitedError).kind).toBe('primary');
    expect(seen.calls).toBe(1);
    expect(seen.rateLimits[0]).toBeGreaterThan(20);
  });

  it('shows every answer, refused ones included, to onAnswer with its rate-limit headers', async () => {
    const answers: Array<{ status?: number; headers: Record<string, unknown> }> = [];
    const limits = { 'x-ratelimit-limit': '5000', 'x-ratelimit-resource': 'core', 'x-ratelimit-reset': String(nowSeconds() + 60) };
    const { client } = clientAnswering(
      [
        { status: 502, headers: { ...limits, 'x-ratelimit-remaining': '41' } },
        { status: 200, body: { total_count: 0, runners: [] }, headers: { ...limits, 'x-ratelimit-remaining': '40' } },
      ],
      { onAnswer: (answer) => void answers.push(answer) },
    );
    await listRunners(client);
    expect(answers.map((a) => [a.status, a.headers['x-ratelimit-remaining']])).toEqual([
      [502, '41'],
      [200, '40'],
    ]);
  });

  it('backs off quadratically from the base for error answers', () => {
    const options: FleetRetryOptions = { doNotRetry: [], retries: 3, retryBaseMs: 100, onRateLimit: () => true, onSecondaryRateLimit: () => true };
    const waits = [0, 1, 2].map((error) => decideRetry({ status: 502 }, { method: 'GET', url: '/' }, { error, rateLimit: 0 }, options));
    expect(waits).toEqual([100, 400, 900].map((waitMs) => ({ retry: true, waitMs, kind: 'error' })));
  });

  it('names the secondary limit wait from retry-after, in milliseconds', () => {
    const options: FleetRetryOptions = { doNotRetry: [403], retries: 3, retryBaseMs: 100, onRateLimit: () => true, onSecondaryRateLimit: () => true };
    expect(decideRetry({ status: 403, message: 'secondary rate limit', headers: { 'retry-after': '7' } }, { method: 'POST', url: '/' }, { error: 0, rateLimit: 0 }, options)).toEqual({ retry: true, waitMs: 7000, kind: 'secondary-rate-limit' });
  });
});
