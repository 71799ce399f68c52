import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { createGitHubBudgetStore, GITHUB_BUDGET_KEY, READ_CACHE_MS } from '../src/adapters/github-budget-store.js';
import { PUBLISH_INTERVAL_MS, type GitHubBudgetState } from '../src/domain/github-budget.js';
import { config, silentLog, startTable } from './support/fixtures.js';

const T0 = Date.parse('2026-11-28T10:00:00Z');
const state = (remaining: number, observedAt: number, extra: Partial<GitHubBudgetState> = {}): GitHubBudgetState => ({ remaining, limit: 5000, resetAt: T0 + 1800_000, observedAt, ...extra });

describe('the shared GitHub budget (item budget#github)', () => {
  let table: Awaited<ReturnType<typeof startTable>>;
  beforeAll(async () => {
    table = await startTable();
  });
  afterAll(() => table.stop());

  const instance = (clock: { now: number }) => createGitHubBudgetStore({ doc: table.doc, tableName: config.runnerTable, reserve: 500, log: silentLog, now: () => clock.now });
  const item = async () => (await table.doc.send(new GetCommand({ TableName: config.runnerTable, Key: { runnerId: GITHUB_BUDGET_KEY } }))).Item;

  it('lets another Lambda instance see what one instance observed, out of status-index (kind budget, no status)', async () => {
    const clock = { now: T0 };
    await instance(clock).record(state(4000, T0));
    expect(await item()).toMatchObject({ kind: 'budget', remaining: 4000, limit: 5000 });
    expect((await item())?.status).toBeUndefined();
    expect(await instance(clock).current()).toMatchObject({ remaining: 4000 });
  });

  it('writes an ordinary observation at most every 10 s, and a rate limit at once', async () => {
    const clock = { now: T0 + 60_000 };
    const one = instance(clock);
    await one.record(state(3900, clock.now));
    await one.record(state(3890, clock.now + 1_000));
    expect(await item()).toMatchObject({ remaining: 3900 });
    await one.record(state(3000, clock.now + PUBLISH_INTERVAL_MS));
    expect(await item()).toMatchObject({ remaining: 3000 });
    await one.record(state(0, clock.now + PUBLISH_INTERVAL_MS + 1, { blockedUntil: T0 + 1801_000 }));
    expect(await item()).toMatchObject({ remaining: 0, blockedUntil: T0 + 1801_000 });
  });

  it('keeps the newer observation when an instance publishes an older one late', async () => {
    const clock = { now: T0 + 120_000 };
    await instance(clock).record(state(2000, clock.now));
    await instance(clock).record(state(2500, clock.now - 5_000));
    expect(await item()).toMatchObject({ remaining: 2000, observedAt: clock.now });
  });

  it('reuses a read for 5 s, then reads again', async () => {
    const clock = { now: T0 + 180_000 };
    const reader = instance(clock);
    expect(await reader.current()).toMatchObject({ remaining: 2000 });
    await instance(clock).record(state(1000, clock.now + 1));
    expect(await reader.current()).toMatchObject({ remaining: 2000 });
    clock.now += READ_CACHE_MS;
    expect(await reader.current()).toMatchObject({ remaining: 1000 });
  });
});
