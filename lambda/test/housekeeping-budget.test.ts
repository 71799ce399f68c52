import { describe, expect, it } from '@jest/globals';
import { housekeeping } from '../src/domain/housekeeping.js';
import { config, makeDeps, tablePerTest } from './support/fixtures.js';

describe('housekeeping and the GitHub budget', () => {
  const table = tablePerTest();

  const withGhost = (remaining: number) => {
    const deps = makeDeps(table.store, table.clock);
    const now = table.clock.now.getTime();
    deps.githubBudget.state = { remaining, limit: 5000, resetAt: now + 1800_000, observedAt: now };
    // An offline runner with our prefix and no record: a ghost.
    deps.github.registered.set('ecs-runner-424242', { id: 7, busy: false });
    return deps;
  };

  it('defers the ghost sweep and caps job lookups while fewer than GITHUB_API_RESERVE requests are left', async () => {
    const deps = withGhost(config.githubApiReserve - 1);
    const report = await housekeeping(deps);
    expect(deps.github.registered.has('ecs-runner-424242')).toBe(true);
    expect(report.githubSweepsDeferred).toBe(2);
    expect(deps.metrics.totals.get('GitHubSweepsDeferred')).toBe(2);
  });

  it('sweeps ghosts as usual with budget to spare', async () => {
    const deps = withGhost(config.githubApiReserve + 1);
    const report = await housekeeping(deps);
    expect(deps.github.registered.has('ecs-runner-424242')).toBe(false);
    expect(report.githubSweepsDeferred).toBe(0);
    expect(deps.metrics.totals.get('GitHubSweepsDeferred') ?? 0).toBe(0);
  });
});
