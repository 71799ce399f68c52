import { isWaitingForLaunch, type RunnerRecord, type RunnerUpdate } from '@runner-fleet/core';
import { waitMs } from './github-budget.js';
import type { Deps } from './ports.js';

/**
 * A rate limit is the fleet's condition, never the job's: the runner stays
 * `queued` with `retryAt` (in retry-index, so the queue's own dispatch picks
 * it up when due), no launch attempt is counted, and it is never `failed`
 * for it.
 */
function waitQueued(runnerId: string, retryAt: Date, statusReason: string, deps: Deps): Promise<RunnerRecord | undefined> {
  const update: RunnerUpdate = { retryAt: retryAt.toISOString(), statusReason };
  return deps.store.revise(runnerId, (current) => (isWaitingForLaunch(current.status) ? update : undefined));
}

/** GitHub refused (or would refuse) requests until `until`: the runner waits queued and is dispatched when the budget returns. */
export async function waitOutRateLimit(runnerId: string, until: Date, kind: 'primary' | 'secondary', deps: Deps): Promise<void> {
  const reason = `waiting for GitHub's ${kind} API rate limit to pass (until ${until.toISOString()}); dispatched when the budget returns`;
  const marked = await waitQueued(runnerId, until, reason, deps);
  deps.metrics.count('GitHubRateLimited', 1, { reason: kind });
  deps.log.warn('GitHub rate limit reached: the runner stays queued and is dispatched when the budget returns; no launch attempt counted', {
    kind,
    retryAt: until.toISOString(),
    marked: Boolean(marked),
  });
}

/**
 * Before a JIT registration: when the shared budget says GitHub refuses
 * requests now, the runner waits (no call is spent on a certain refusal).
 * True when it waits. An unreadable budget is no reason to hold a job back:
 * logged, and the launch goes on (GitHub's own answer decides).
 */
export async function waitForGitHubBudget(runnerId: string, deps: Deps): Promise<boolean> {
  let state;
  try {
    state = await deps.githubBudget.current();
  } catch (error) {
    deps.log.warn('the GitHub budget could not be read; launching without it', { error });
    return false;
  }
  const now = deps.now().getTime();
  const wait = waitMs(state, now);
  if (wait <= 0) return false;
  await waitOutRateLimit(runnerId, new Date(now + wait), state?.blockedUntil !== undefined && state.remaining > 0 ? 'secondary' : 'primary', deps);
  return true;
}

/** Jittered wait after ECS (RunTask) or SSM (the JIT config) throttled past the SDK's own retries: 2 to 5 s. */
export const THROTTLE_RETRY_MIN_MS = 2_000;
export const THROTTLE_RETRY_MAX_MS = 5_000;

/**
 * RunTask or PutParameter was throttled: the launch is tried again in a few
 * seconds (jittered, so a burst spreads out), counted as RunTaskThrottled,
 * never as a launch attempt or a LaunchFailure.
 */
export async function retryThrottledLaunch(runnerId: string, message: string, deps: Deps, random: () => number = Math.random): Promise<void> {
  const delayMs = Math.round(THROTTLE_RETRY_MIN_MS + random() * (THROTTLE_RETRY_MAX_MS - THROTTLE_RETRY_MIN_MS));
  const retryAt = new Date(deps.now().getTime() + delayMs);
  const marked = await waitQueued(runnerId, retryAt, `${message}; tried again in ${Math.round(delayMs / 1000)} s (throttling counts no launch attempt)`, deps);
  deps.metrics.count('RunTaskThrottled');
  deps.log.warn('launch throttled; the runner stays queued and is tried again shortly', { reason: message, retryAt: retryAt.toISOString(), marked: Boolean(marked) });
}
