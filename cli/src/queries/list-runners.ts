import { ALL_STATUSES, isTerminal, type RunnerRecord, type RunnerStatus } from '@runner-fleet/core';
import type { RunnerStore } from '@runner-fleet/core/store';

export interface ListOptions {
  statuses?: RunnerStatus[];
  repo?: string;
  /** Only runners created at or after this time. */
  since?: Date;
  /** At most this many, newest first; undefined lists every match. */
  limit?: number;
  /** Show terminal runners that ended more than 24 hours ago. */
  includeOldTerminal: boolean;
  now: Date;
}

export interface ListOutcome {
  runners: RunnerRecord[];
  /** More runners match than were returned. */
  truncated: boolean;
}

const HIDE_TERMINAL_AFTER_MS = 24 * 3600 * 1000;
const PAGE = 100;
const SCAN_SEGMENTS = 4;

/**
 * Newest-first listing. A limited listing queries the status index (one query
 * per status, newest first, at most `limit` matches each) and merges them, so
 * memory stays bounded by statuses × limit whatever the table's size. An
 * unlimited listing reads the table with a parallel paginated scan.
 */
export async function listRunners(store: RunnerStore, options: ListOptions): Promise<ListOutcome> {
  const keep = matcher(options);
  const newestFirst = (a: RunnerRecord, b: RunnerRecord) => b.createdAt.localeCompare(a.createdAt) || a.runnerId.localeCompare(b.runnerId);

  if (options.limit === undefined) {
    const all = (await Promise.all(Array.from({ length: SCAN_SEGMENTS }, (_, segment) => scanSegment(store, segment, keep)))).flat();
    const statuses = options.statuses ? new Set(options.statuses) : undefined;
    return { runners: all.filter((r) => !statuses || statuses.has(r.status)).sort(newestFirst), truncated: false };
  }

  const limit = options.limit;
  const since = options.since?.toISOString();
  const perStatus = await Promise.all(
    (options.statuses ?? ALL_STATUSES).map(async (status) => {
      const found: RunnerRecord[] = [];
      let startKey: Record<string, unknown> | undefined;
      let more = false;
      do {
        const page = await store.listByStatus(status, { limit: PAGE, startKey, since });
        for (const record of page.records) {
          if (!keep(record)) continue;
          if (found.length === limit) {
            more = true;
            break;
          }
          found.push(record);
        }
        startKey = page.nextKey;
      } while (startKey && !more);
      return { found, more };
    }),
  );
  const merged = perStatus.flatMap((s) => s.found).sort(newestFirst);
  return { runners: merged.slice(0, limit), truncated: merged.length > limit || perStatus.some((s) => s.more) };
}

function matcher(options: ListOptions): (record: RunnerRecord) => boolean {
  const repo = options.repo?.toLowerCase();
  const since = options.since?.toISOString();
  const hideBefore = new Date(options.now.getTime() - HIDE_TERMINAL_AFTER_MS).toISOString();
  return (record) => {
    if (repo && record.repo.toLowerCase() !== repo) return false;
    if (since && record.createdAt < since) return false;
    if (!options.includeOldTerminal && isTerminal(record.status) && (record.finishedAt ?? record.updatedAt) < hideBefore) return false;
    return true;
  };
}

async function scanSegment(store: RunnerStore, segment: number, keep: (r: RunnerRecord) => boolean): Promise<RunnerRecord[]> {
  const out: RunnerRecord[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await store.scanPage({ startKey, segment, totalSegments: SCAN_SEGMENTS });
    for (const record of page.records) if (keep(record)) out.push(record);
    startKey = page.nextKey;
  } while (startKey);
  return out;
}
