import { describe, expect, it } from '@jest/globals';
import { readConfig } from '../src/config.js';
import { fillFreeSlots } from '../src/domain/capacity.js';
import { launchRunner } from '../src/domain/launch-runner.js';
import { makeDeps, queuedJob, recordingBus, tablePerTest, validEnv } from './support/fixtures.js';

describe('the MAX_RUNNERS cap', () => {
  const table = tablePerTest();

  const capped = (maxRunners: number) => {
    const { bus, published } = recordingBus();
    return Object.assign(makeDeps(table.store, table.clock, { config: readConfig({ ...validEnv, MAX_RUNNERS: String(maxRunners) }), bus }), { published });
  };

  it('grants exactly `max` of many concurrent claims, and a claim again to a holder', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `ecs-runner-${i}`);
    const granted = await Promise.all(ids.map((id) => table.store.capacity.claim(id, 5)));
    expect(granted.filter(Boolean)).toHaveLength(5);
    const holder = ids[granted.indexOf(true)]!;
    expect(await table.store.capacity.claim(holder, 5)).toBe(true);
    expect((await table.store.capacity.holders()).size).toBe(5);
  });

  it('frees a slot once, however often the runner is released', async () => {
    await table.store.capacity.claim('ecs-runner-1', 1);
    expect(await table.store.capacity.release('ecs-runner-1')).toBe(true);
    expect(await table.store.capacity.release('ecs-runner-1')).toBe(false);
    expect(await table.store.capacity.claim('ecs-runner-2', 1)).toBe(true);
  });

  it('frees the slot on every terminal transition', async () => {
    const { record } = await queuedJob(table.store, table.clock);
    await table.store.capacity.claim(record.runnerId, 1);
    await table.store.transition(record, 'cancelled', { statusReason: 'job cancelled' });
    expect((await table.store.capacity.holders()).size).toBe(0);
  });

  it('keeps a job over the cap queued, with nothing registered or started, until a slot frees', async () => {
    const deps = capped(1);
    const first = await queuedJob(table.store, table.clock);
    const second = await queuedJob(table.store, table.clock);
    await launchRunner(first.detail, first.detail.runner!, deps);
    await launchRunner(second.detail, second.detail.runner!, deps);

    const waiting = await table.store.get(second.record.runnerId);
    expect(waiting).toMatchObject({ status: 'queued', retryAt: second.record.createdAt, waiting: 'launch', statusReason: 'waiting for a free runner slot (MAX_RUNNERS=1 runners active)' });
    expect(deps.github.calls).toEqual([`generateJitConfig ${first.record.runnerId}`]);
    expect(deps.published).toEqual([]);

    const running = (await table.store.get(first.record.runnerId))!;
    await table.store.transition(running, 'completed', { statusReason: 'done' });
    expect(await fillFreeSlots(deps)).toBe(1);
    expect(deps.published.map((d) => d.runner?.runnerId)).toEqual([second.record.runnerId]);
    expect((await table.store.get(second.record.runnerId))?.retryAt).toBeUndefined();
  });

  it('fills free slots with the longest-waiting jobs first, and dispatches each once', async () => {
    const deps = capped(2);
    const jobs = [];
    for (let i = 0; i < 4; i++) {
      jobs.push(await queuedJob(table.store, table.clock));
      table.clock.now = new Date(table.clock.now.getTime() + 1000);
    }
    // Waiting for a slot, each is due from its creation (as waitForSlot marks it), written newest first.
    for (const { record } of [...jobs].reverse()) await table.store.patch(record, { retryAt: record.createdAt });

    const [a, b] = await Promise.all([fillFreeSlots(deps), fillFreeSlots(deps)]);
    const dispatched = deps.published.map((d) => d.runner?.runnerId);
    expect(a + b).toBe(dispatched.length);
    expect(new Set(dispatched).size).toBe(dispatched.length);
    expect(dispatched.sort()).toEqual([jobs[0]!.record.runnerId, jobs[1]!.record.runnerId].sort());
  });

  it('does not dispatch a runner whose retry time has not come', async () => {
    const deps = capped(5);
    const { record } = await queuedJob(table.store, table.clock);
    await table.store.patch(record, { retryAt: new Date(table.clock.now.getTime() + 30_000).toISOString() });
    expect(await fillFreeSlots(deps)).toBe(0);
  });
});
