import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { asOf, newer, shouldPublish, type GitHubBudgetState } from '../domain/github-budget.js';
import type { GitHubBudget } from '../domain/ports.js';
import type { Log } from '../runtime/logger.js';

/** The shared item in the runner table (kind "budget", no status: out of status-index). */
export const GITHUB_BUDGET_KEY = 'budget#github';
/** A read of the shared item is reused this long (every Lambda instance reads at most this often). */
export const READ_CACHE_MS = 5_000;
/** The item outlives a window by this much, then DynamoDB's TTL removes it (an idle fleet keeps no stale budget). */
const EXPIRY_SECONDS = 2 * 3600;

export interface GitHubBudgetStoreOptions {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** Below this many requests left an observation is published at once (housekeeping's reserve). */
  reserve: number;
  log: Log;
  now?: () => number;
}

/**
 * The remaining GitHub budget where every Lambda instance sees it: item
 * `budget#github`. Each instance keeps its newest observation and writes it
 * with a conditional PutItem (newer observation wins) when shouldPublish says
 * so (at most every 10 s, at once for a rate limit or a new window); reads
 * are cached for READ_CACHE_MS. One write per 10 s per instance at most: the
 * item is never a hot key for the fleet's other writes.
 */
export function createGitHubBudgetStore(options: GitHubBudgetStoreOptions): GitHubBudget {
  const { doc, tableName, reserve, log } = options;
  const now = options.now ?? Date.now;
  let local: GitHubBudgetState | undefined;
  let published: GitHubBudgetState | undefined;
  let read: { at: number; state: GitHubBudgetState | undefined } | undefined;
  let writing: Promise<void> | undefined;

  const publish = async (state: GitHubBudgetState): Promise<void> => {
    published = state;
    try {
      await doc.send(
        new PutCommand({
          TableName: tableName,
          Item: { runnerId: GITHUB_BUDGET_KEY, kind: 'budget', ...state, expiresAt: Math.floor(state.resetAt / 1000) + EXPIRY_SECONDS },
          ConditionExpression: 'attribute_not_exists(runnerId) OR observedAt < :observedAt',
          ExpressionAttributeValues: { ':observedAt': state.observedAt },
        }),
      );
    } catch (error) {
      // Another instance published a newer observation: that one stands.
      if (error instanceof ConditionalCheckFailedException || (error as { name?: string }).name === 'ConditionalCheckFailedException') return;
      // The budget is advice: a failed write is logged, and the next observation tries again.
      published = undefined;
      log.warn('the GitHub budget could not be shared; the next answer tries again', { error });
    }
  };

  return {
    async record(state) {
      local = newer(local, state);
      if (!local || !shouldPublish(published, local, reserve) || writing) return;
      writing = publish(local).finally(() => (writing = undefined));
      await writing;
    },

    async current() {
      const at = now();
      if (!read || at - read.at >= READ_CACHE_MS) {
        const out = await doc.send(new GetCommand({ TableName: tableName, Key: { runnerId: GITHUB_BUDGET_KEY } }));
        const item = out.Item as (GitHubBudgetState & { kind?: string }) | undefined;
        read = { at, state: item?.kind === 'budget' ? { remaining: item.remaining, limit: item.limit, resetAt: item.resetAt, observedAt: item.observedAt, ...(item.blockedUntil !== undefined ? { blockedUntil: item.blockedUntil } : {}) } : undefined };
      }
      return asOf(newer(read.state, local), at);
    },
  };
}
