/**
 * Runner statuses and the only transitions between them (DESIGN §4).
 *
 * The life cycle is a forward-only chain; a status may move to any later
 * status in the chain (skipping is allowed, because ECS and GitHub events can
 * arrive out of order: a job may land on a runner before its RUNNING event is
 * processed), or to any terminal status. Nothing ever moves backwards, and a
 * terminal record never changes again.
 */
export const LIFECYCLE = ['queued', 'image_building', 'starting', 'idle', 'busy', 'completed'] as const;
export const TERMINAL_STATUSES = ['completed', 'failed', 'cancelled', 'terminated'] as const;
export const ACTIVE_STATUSES = ['starting', 'idle', 'busy'] as const;
/** Recorded, no task yet: waiting for dispatch, a slot, capacity or an image. */
export const WAITING_STATUSES = ['queued', 'image_building'] as const;

export type RunnerStatus = (typeof LIFECYCLE)[number] | (typeof TERMINAL_STATUSES)[number];
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];

export const ALL_STATUSES: readonly RunnerStatus[] = [...LIFECYCLE, 'failed', 'cancelled', 'terminated'];

export function isRunnerStatus(value: unknown): value is RunnerStatus {
  return typeof value === 'string' && (ALL_STATUSES as readonly string[]).includes(value);
}

export function isTerminal(status: RunnerStatus): status is TerminalStatus {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

/** starting, idle or busy: the runner holds one of the MAX_RUNNERS slots. */
export function isActive(status: RunnerStatus): boolean {
  return (ACTIVE_STATUSES as readonly string[]).includes(status);
}

/** queued or image_building: no task has been started for the runner yet. */
export function isWaitingForLaunch(status: RunnerStatus): boolean {
  return (WAITING_STATUSES as readonly string[]).includes(status);
}

/** True when `from → to` is allowed by DESIGN §4. */
export function canTransition(from: RunnerStatus, to: RunnerStatus): boolean {
  if (isTerminal(from) || from === to) return false;
  if (to === 'failed' || to === 'cancelled' || to === 'terminated') return true;
  const chain = LIFECYCLE as readonly RunnerStatus[];
  return chain.indexOf(to) > chain.indexOf(from);
}
