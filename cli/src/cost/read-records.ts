import type { RunnerRecord, RunnerStatus } from '@runner-fleet/core';
import type { RunnerStore } from '@runner-fleet/core/store';

/**
 * The statuses whose records may have had a task. `queued` and `image_building`
 * runners have none yet (a relaunch is a new record), so they are not read.
 */
export const BILLABLE_STATUSES: RunnerStatus[] = ['starting', 'idle', 'busy', 'completed', 'failed', 'cancelled', 'terminated'];

const PAGE = 1000;

/**
 * Every record created in [since, now] with a billable status: one query of the
 * status index per status, keyed on createdAt ≥ since, paginated. The cost is the
 * records of the window (plus one request per status), never the whole table.
 */
export async function recordsSince(store: RunnerStore, since: Date): Promise<{ records: RunnerRecord[]; requests: number }> {
  const sinceIso = since.toISOString();
  let requests = 0;
  const perStatus = await Promise.all(
    BILLABLE_STATUSES.map(async (status) => {
      const found: RunnerRecord[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await store.listByStatus(status, { since: sinceIso, startKey, limit: PAGE });
        requests++;
        found.push(...page.records);
        startKey = page.nextKey;
      } while (startKey);
      return found;
    }),
  );
  return { records: perStatus.flat(), requests };
}
