import { createAppAuth } from '@octokit/auth-app';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import Bottleneck from 'bottleneck';
import { lazy } from '../runtime/lazy.js';
import type { Log } from '../runtime/logger.js';
import type { GitHubAuth } from './github-auth.js';

const FleetOctokit = Octokit.plugin(retry, throttling);
export type FleetOctokit = InstanceType<typeof FleetOctokit>;

export interface GitHubClientOptions {
  auth: GitHubAuth;
  baseUrl: string;
  owner: string;
  repo: string;
  log: Log;
  /** Base of plugin-retry's quadratic backoff for 5xx answers (1 s in AWS, less in tests). */
  retryBaseMs?: number;
}

const MAX_RATE_LIMIT_RETRIES = 2;
const MAX_RATE_LIMIT_WAIT_SECONDS = 20;

/**
 * Octokit clients with retry (5xx) and throttling (rate limits), one per
 * installation, built on first use and kept for the life of the Lambda.
 */
export function createGitHubClients(options: GitHubClientOptions): (installationId?: number) => Promise<FleetOctokit> {
  const { auth, baseUrl, log } = options;
  const common = {
    baseUrl,
    userAgent: 'aws-runner-fleet',
    log: { debug: () => {}, info: () => {}, warn: (m: string) => log.warn(m), error: (m: string) => log.error(m) },
    retry: { doNotRetry: [400, 401, 403, 404, 409, 410, 422, 451], retryAfterBaseValue: options.retryBaseMs ?? 1000 },
    throttle: {
      // One Lambda handles one event at a time: the default one-second spacing of
      // writes would only delay launches, so writes are not spaced here.
      write: new Bottleneck.Group({ maxConcurrent: 10, minTime: 0 }),
      onRateLimit: (retryAfter: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number) => {
        log.warn('GitHub rate limit reached', { retryAfter, method: request.method, url: request.url, retryCount });
        return retryCount < MAX_RATE_LIMIT_RETRIES && retryAfter <= MAX_RATE_LIMIT_WAIT_SECONDS;
      },
      onSecondaryRateLimit: (retryAfter: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number) => {
        log.warn('GitHub secondary rate limit reached', { retryAfter, method: request.method, url: request.url, retryCount });
        return retryCount < MAX_RATE_LIMIT_RETRIES && retryAfter <= MAX_RATE_LIMIT_WAIT_SECONDS;
      },
    },
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
