import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { ALL_STATUSES, type RunnerRecord, type RunnerStatus } from '@runner-fleet/core';
import type { RunnerStore } from '@runner-fleet/core/store';
import { decodeCursor, encodeCursor, listRunners, LIVE_STATUSES, newestFirst, type ListCursor } from '../src/queries/list-runners.js';

/** The status index as DynamoDB serves it: per status, createdAt descending, `limit` per page. */
function indexedStore(records: RunnerRecord[]) {
  const queries: Array<{ status: RunnerStatus; limit?: number }> = [];
  const store = {
    async listByStatus(status: RunnerStatus, options: { limit?: number; startKey?: Record<string, unknown>; since?: string; until?: string } = {}) {
      queries.push({ status, limit: options.limit });
      const all = records
        .filter((r) => r.status === status && (!options.since || r.createdAt >= options.since) && (!options.until || r.createdAt <= options.until))
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.runnerId.localeCompare(a.runnerId));
      const from = options.startKey ? all.findIndex((r) => r.runnerId === options.startKey!.runnerId) + 1 : 0;
      const page = all.slice(from, options.limit === undefined ? undefined : from + options.limit);
      const last = page.at(-1);
      return { records: page, nextKey: last && from + page.length < all.length ? { runnerId: last.runnerId } : undefined };
    },
  } as unknown as RunnerStore;
  return { store, queries };
}

function record(i: number, status: RunnerStatus, createdAt: string, repo = 'octo-org/octo-repo'): RunnerRecord {
  return { runnerId: `ecs-runner-${i}`, status, repo, jobId: i, runId: i, runAttempt: 1, labels: ['self-hosted'], createdAt, updatedAt: createdAt, version: 1 };
}

describe('runners list queries', () => {
  it('reads the live statuses once each, whatever history lies behind them', async () => {
    const history = Array.from({ length: 5000 }, (_, i) => record(i, i % 2 ? 'completed' : 'failed', new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString()));
    const live = LIVE_STATUSES.map((status, i) => record(10_000 + i, status, new Date(Date.UTC(2026, 5, 1) + i * 1000).toISOString()));
    const { store, queries } = indexedStore([...history, ...live]);
    const outcome = await listRunners(store, { statuses: LIVE_STATUSES, limit: 50 });
    expect(outcome).toEqual({ runners: [...live].reverse(), truncated: false, next: undefined });
    expect(queries.map((q) => q.status).sort()).toEqual([...LIVE_STATUSES].sort());
  });

  it('pages through any mix of statuses, repositories and equal creation times without losing or repeating a runner', async () => {
    const arbitraryRecords = fc.uniqueArray(
      fc.record({ i: fc.nat(10_000), status: fc.constantFrom<RunnerStatus>("busy", "completed", "idle"), minute: fc.nat(3), other: fc.boolean() }),
      { selector: (r) => r.i, maxLength: 60 },
    );
    await fc.assert(
      fc.asyncProperty(arbitraryRecords, fc.integer({ min: 1, max: 7 }), fc.boolean(), async (specs, limit, oneRepo) => {
        const records = specs.map((s) => record(s.i, s.status, new Date(Date.UTC(2026, 0, 1, 0, s.minute)).toISOString(), s.other ? 'octo-org/other' : 'octo-org/octo-repo'));
        const { store } = indexedStore(records);
        const repo = oneRepo ? 'octo-org/other' : undefined;
        const seen: RunnerRecord[] = [];
        let after: ListCursor | undefined;
        for (let page = 0; page < 100; page++) {
          const outcome = await listRunners(store, { statuses: ALL_STATUSES, repo, limit, after });
          expect(outcome.runners.length).toBeLessThanOrEqual(limit);
          seen.push(...outcome.runners);
          if (!outcome.truncated) break;
          after = decodeCursor(encodeCursor(outcome.next!));
        }
        const expected = records.filter((r) => !repo || r.repo === repo).sort(newestFirst);
        expect(seen.map((r) => r.runnerId)).toEqual(expected.map((r) => r.runnerId));
      }),
      { numRuns: 150 },
    );
  });

  it('refuses a token it did not make', () => {
    expect(decodeCursor('not-a-token')).toBeUndefined();
    expect(decodeCursor(Buffer.from('["yesterday","x"]').toString('base64url'))).toBeUndefined();
    expect(decodeCursor(encodeCursor({ createdAt: '2026-01-01T00:00:00.000Z', runnerId: 'ecs-runner-1' }))).toEqual({ createdAt: '2026-01-01T00:00:00.000Z', runnerId: 'ecs-runner-1' });
  });
});

describe('runners list query count', () => {
  it('reads one page per status when each has more runners than the limit', async () => {
    const records = ALL_STATUSES.flatMap((status, s) => Array.from({ length: 30 }, (_, i) => record(s * 100 + i, status, new Date(Date.UTC(2026, 0, 1) + (s * 100 + i) * 1000).toISOString())));
    const { store, queries } = indexedStore(records);
    const outcome = await listRunners(store, { statuses: ALL_STATUSES, limit: 10 });
    expect(outcome.runners).toHaveLength(10);
    expect(outcome.truncated).toBe(true);
    expect(queries).toHaveLength(ALL_STATUSES.length);
  });
});
