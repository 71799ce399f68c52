import { ACTIVE_STATUSES, WAITING_STATUSES, type RunnerRecord, type RunnerStatus } from '@runner-fleet/core';
import type { RunnerStore } from '@runner-fleet/core/store';

/** Waiting for a task or holding one: what `runners list` shows unless asked for history. */
export const LIVE_STATUSES: readonly RunnerStatus[] = [...WAITING_STATUSES, ...ACTIVE_STATUSES];

/** Where a page ended: the last runner shown, in newest-first order. */
export interface ListCursor {
  createdAt: string;
  runnerId: string;
}

export interface ListOptions {
  statuses: readonly RunnerStatus[];
  repo?: string;
  /** Only runners created at or after this time. */
  since?: Date;
  /** At most this many, newest first. */
  limit: number;
  /** Continue after this runner (the cursor of the previous page). */
  after?: ListCursor;
}

export interface ListOutcome {
  runners: RunnerRecord[];
  /** More runners match than were returned; `next` continues after the last one. */
  truncated: boolean;
  next?: ListCursor;
}

/** Pages large enough that a --repo filter does not cost one round trip per few records. */
const FILTERED_PAGE = 200;

/**
 * Newest-first listing through the status index: one query per status asked
 * for, each reading at most limit + 1 matching records (newest first), merged.
 * The cost grows with the records shown, never with the table: live runners
 * cost five queries whatever the history behind them.
 */
export async function listRunners(store: RunnerStore, options: ListOptions): Promise<ListOutcome> {
  const perStatus = await Promise.all(options.statuses.map((status) => newestOfStatus(store, status, options)));
  const merged = perStatus.flatMap((s) => s.found).sort(newestFirst);
  const runners = merged.slice(0, options.limit);
  const truncated = merged.length > options.limit || perStatus.some((s) => s.more);
  const last = runners.at(-1);
  return { runners, truncated, next: truncated && last ? { createdAt: last.createdAt, runnerId: last.runnerId } : undefined };
}

/** Newest first; runners created in the same millisecond by id. */
export function newestFirst(a: RunnerRecord, b: RunnerRecord): number {
  return b.createdAt.localeCompare(a.createdAt) || a.runnerId.localeCompare(b.runnerId);
}

async function newestOfStatus(store: RunnerStore, status: RunnerStatus, options: ListOptions): Promise<{ found: RunnerRecord[]; more: boolean }> {
  const want = options.limit + 1;
  const repo = options.repo?.toLowerCase();
  const after = options.after;
  const keep = (r: RunnerRecord) => (!repo || r.repo.toLowerCase() === repo) && (!after || newestFirst(r, after as RunnerRecord) > 0);
  const found: RunnerRecord[] = [];
  let startKey: Record<string, unknown> | undefined;
  // The index orders runners created in the same millisecond as it likes: read the whole
  // group at the cut, so the newest `want` in our order (by id within a millisecond) are all here.
  let cutAt: string | undefined;
  let lastRead: string | undefined;
  do {
    const page = await store.listByStatus(status, {
      // One more than needed: a page that ends past the cut shows the group at the cut is whole.
      limit: repo ? Math.max(want, FILTERED_PAGE) : Math.max(1, want - found.length) + 1 + (after ? 1 : 0),
      startKey,
      since: options.since?.toISOString(),
      until: after?.createdAt,
    });
    for (const record of page.records) if (keep(record)) found.push(record);
    startKey = page.nextKey;
    lastRead = page.records.at(-1)?.createdAt;
    if (found.length >= want) cutAt ??= found[want - 1]!.createdAt;
  } while (startKey && (cutAt === undefined || lastRead === cutAt));
  found.sort(newestFirst);
  return { found: found.slice(0, options.limit), more: found.length > options.limit };
}

/** The --starting-token a page prints for the next one. */
export function encodeCursor(cursor: ListCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.runnerId])).toString('base64url');
}

/** The cursor in a token, or undefined when the token is not one encodeCursor made. */
export function decodeCursor(token: string): ListCursor | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return undefined;
    const [createdAt, runnerId] = value as unknown[];
    if (typeof createdAt !== 'string' || typeof runnerId !== 'string' || runnerId === '' || Number.isNaN(Date.parse(createdAt))) return undefined;
    return { createdAt, runnerId };
  } catch {
    return undefined;
  }
}
