import { isTerminal, isWaitingForLaunch, StaleRecordError, type RunnerRecord, type RunnerUpdate } from '@runner-fleet/core';
import { dispatchEventFor } from './dispatch-event.js';
import type { Deps } from './ports.js';

/** RunTask attempts that start nothing (no capacity, throttled) before the runner is failed. */
export const MAX_LAUNCH_ATTEMPTS = 5;
/** Wait before launch attempt n+1: 30 s, 1, 2, 4 minutes (about 7.5 minutes in all before failing). */
export const LAUNCH_BACKOFF_BASE_MS = 30_000;

/** Marks a runner as waiting to be dispatched again (retryAt); undefined when it no longer waits for a launch. */
function markWaiting(runnerId: string, update: (current: RunnerRecord) => RunnerUpdate, deps: Deps): Promise<RunnerRecord | undefined> {
  return deps.store.revise(runnerId, (current) => (isWaitingForLaunch(current.status) ? update(current) : undefined));
}

/**
 * All MAX_RUNNERS slots are taken: the runner waits, queued, to be dispatched
 * when one frees (oldest job first). It then looks once more for a free slot,
 * since one may have freed between the claim and the mark.
 */
export async function waitForSlot(runnerId: string, deps: Deps): Promise<void> {
  const reason = `waiting for a free runner slot (MAX_RUNNERS=${deps.config.maxRunners} runners active)`;
  // Due from its creation: among runners waiting for a slot, the oldest job is dispatched first.
  const marked = await markWaiting(runnerId, (current) => ({ retryAt: current.createdAt, statusReason: reason }), deps);
  deps.log.info('all runner slots are taken; the runner waits', { marked: Boolean(marked) });
  if (marked) await fillFreeSlots(deps);
}

/**
 * RunTask started nothing (no Fargate capacity, throttled): try again later
 * with a growing backoff, and fail the runner after MAX_LAUNCH_ATTEMPTS.
 */
export async function retryLaunchLater(runnerId: string, reason: string, deps: Deps): Promise<'retry' | 'failed'> {
  const marked = await markWaiting(
    runnerId,
    (current) => {
      const attempts = (current.launchAttempts ?? 0) + 1;
      if (attempts >= MAX_LAUNCH_ATTEMPTS) return { launchAttempts: attempts };
      const delayMs = LAUNCH_BACKOFF_BASE_MS * 2 ** (attempts - 1);
      return {
        launchAttempts: attempts,
        retryAt: new Date(deps.now().getTime() + delayMs).toISOString(),
        statusReason: `${reason} (attempt ${attempts} of ${MAX_LAUNCH_ATTEMPTS}; next try in ${Math.round(delayMs / 1000)} s)`,
      };
    },
    deps,
  );
  if (marked && (marked.launchAttempts ?? 0) >= MAX_LAUNCH_ATTEMPTS) {
    await deps.store.advance(runnerId, 'failed', { statusReason: `no task started after ${MAX_LAUNCH_ATTEMPTS} attempts: ${reason}` });
    return 'failed';
  }
  return 'retry';
}

/**
 * Fills free slots with the runners waiting longest. Each slot is claimed for
 * its runner here (so concurrent fills never dispatch more runners than there
 * are slots), then the runner is taken off the wait with a conditional write
 * (so two fills never dispatch the same one) and dispatched; its dispatch's own
 * claim finds the slot already held. None while launches are paused after a
 * capacity error. Returns how many were dispatched.
 */
export async function fillFreeSlots(deps: Deps): Promise<number> {
  const { store, config, log } = deps;
  const { holders, launchesPausedUntil } = await store.capacity.state();
  const free = config.maxRunners - holders.size;
  if (free <= 0 || deps.now().getTime() < launchesPausedUntil) return 0;
  const events = [];
  for (const record of await store.listWaiting(free)) {
    if (!(await store.capacity.claim(record.runnerId, config.maxRunners))) break;
    try {
      const taken = await store.patch(record, { statusReason: 'a runner slot is free; dispatching' }, ['retryAt']);
      events.push(dispatchEventFor(taken, `slot:${taken.runnerId}:${taken.version}`));
    } catch (error) {
      if (!(error instanceof StaleRecordError)) throw error;
      const current = await store.get(record.runnerId);
      if (!current || isTerminal(current.status)) {
        await store.capacity.release(record.runnerId); // it ended meanwhile: the slot is not needed
        continue;
      }
      // Another fill took it (and uses the same slot): that fill works down the same list, so leave the rest to it.
      break;
    }
  }
  if (events.length === 0) return 0;
  await deps.bus.publishAll(events);
  log.info('dispatched runners waiting for a slot', { count: events.length, free });
  return events.length;
}
