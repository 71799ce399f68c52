import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import { lazy } from '../runtime/lazy.js';
import type { Log } from '../runtime/logger.js';
import { observe } from '../domain/github-budget.js';
import type { GitHubBudget } from '../domain/ports.js';
import type { GitHubAuth } from './github-auth.js';
import { fleetRetry, type FleetRetryOptions } from './github-retry.js';

const FleetOctokit = Octokit.plugin(fleetRetry as never);
export type FleetOctokit = InstanceType<typeof FleetOctokit>;

export interface GitHubClientOptions {
  auth: GitHubAuth;
  baseUrl: string;
  owner: string;
  repo: string;
  log: Log;
  /** Base of the quadratic backoff for 5xx answers (1 s in AWS, less in tests). */
  retryBaseMs?: number;
  /** Fed every answer's rate-limit headers, so every instance knows what is left. */
  budget?: GitHubBudget;
}

const MAX_RATE_LIMIT_RETRIES = 2;
const MAX_RATE_LIMIT_WAIT_SECONDS = 20;

/**
 * Octokit clients with retry (5xx) and rate-limit waits (github-retry.ts), one per
 * installation, built on first use and kept for the life of the Lambda.
 */
export function createGitHubClients(options: GitHubClientOptions): (installationId?: number) => Promise<FleetOctokit> {
  const { auth, baseUrl, log, budget } = options;
  const onAnswer: FleetRetryOptions['onAnswer'] = (answer) => {
    const state = observe(answer, Date.now());
    // Advice, never in the way of the call: a failure is logged, the answer goes on.
    if (state && budget) return budget.record(state).catch((error: unknown) => log.warn('the GitHub budget could not be recorded', { error }));
  };
  const common = {
    baseUrl,
    userAgent: 'aws-runner-fleet',
    log: { debug: () => {}, info: () => {}, warn: (m: string) => log.warn(m), error: (m: string) => log.error(m) },
    // No Bottleneck (plugin-retry, plugin-throttling): its zero-delay timers cost every call ~15 ms; see github-retry.ts.
    fleetRetry: {
      doNotRetry: [400, 401, 403, 404, 409, 410, 422, 451],
      retries: 3,
      retryBaseMs: options.retryBaseMs ?? 1000,
      onAnswer,
      onRateLimit: (retryAfter, request, retryCount) => {
        log.warn('GitHub rate limit reached', { retryAfter, method: request.method, url: request.url, retryCount });
        return retryCount < MAX_RATE_LIMIT_RETRIES && retryAfter <= MAX_RATE_LIMIT_WAIT_SECONDS;
      },
      onSecondaryRateLimit: (retryAfter, request, retryCount) => {
        log.warn('GitHub secondary rate limit reached', { retryAfter, method: request.method, url: request.url, retryCount });
        return retryCount < MAX_RATE_LIMIT_RETRIES && retryAfter <= MAX_RATE_LIMIT_WAIT_SECONDS;
      },
    } satisfies FleetRetryOptions,
  };

  if (auth.kind === 'pat') {
    const client = new FleetOctokit({ ...common, auth: auth.token });
    return async () => client;
  }

  const byInstallation = new Map<number, FleetOctokit>();
  const repoInstallation = lazy(() => appClient.rest.apps.getRepoInstallation({ owner: options.owner, repo: options.repo }).then((r) => r.data.id));
  const appClient = new FleetOctokit({ ...common, authStrategy: createAppAuth, auth: { appId: auth.appId, privateKey: auth.privateKey } });
  const resolveInstallation = (fromPayload?: number): Promise<number> => {
    const known = fromPayload ?? auth.installationId;
    return known ? Promise.resolve(known) : repoInstallation();
  };
  return async (installationId?: number) => {
    const id = await resolveInstallation(installationId);
    let client = byInstallation.get(id);
    if (!client) {
      client = new FleetOctokit({ ...common, authStrategy: createAppAuth, auth: { appId: auth.appId, privateKey: auth.privateKey, installationId: id } });
      byInstallation.set(id, client);
    }
    return client;
  };
}
