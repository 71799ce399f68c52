import { Flags } from '@oclif/core';
import { ACTIVE_STATUSES, ALL_STATUSES, type RunnerStatus } from '@runner-fleet/core';
import { BaseCommand } from '../base-command.js';

/** `ecsrunner status --json`: the fleet at a glance. */
export interface StatusResult {
  counts: Record<RunnerStatus, number>;
  active: number;
  /** MAX_RUNNERS when known (env or --max-runners). */
  maxRunners?: number;
  /** Slots the control plane's capacity ledger holds (active runners plus launches in flight). */
  slotsHeld: number;
  failuresLast24h: Array<{ reason: string; count: number }>;
}

export default class Status extends BaseCommand<typeof Status> {
  static override printsTable = true;
  static override summary = 'Runners per status, active runners against the cap, slots held, and the last 24 hours of failures by reason.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];
  static override flags = {
    'max-runners': Flags.integer({ description: 'The fleet\'s cap (Terraform max_runners), to show active runners against it.', env: 'MAX_RUNNERS', min: 1, helpGroup: 'FLEET' }),
  };

  async run(): Promise<StatusResult> {
    const store = await this.fleet.store();
    const now = new Date();
    const counts = Object.fromEntries(await Promise.all(ALL_STATUSES.map(async (s) => [s, await store.countByStatus(s)] as const))) as Record<RunnerStatus, number>;
    const active = ACTIVE_STATUSES.reduce((sum, s) => sum + counts[s], 0);
    const slotsHeld = (await store.capacity.holders()).size;

    const since = new Date(now.getTime() - 24 * 3600 * 1000).toISOString();
    const reasons = new Map<string, number>();
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await store.listByStatus('failed', { since, startKey, limit: 500 });
      for (const r of page.records) reasons.set(r.statusReason ?? 'no reason recorded', (reasons.get(r.statusReason ?? 'no reason recorded') ?? 0) + 1);
      startKey = page.nextKey;
    } while (startKey);
    const failuresLast24h = [...reasons].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
    if (this.flags['max-runners'] === undefined) await this.fleet.resolve();
    const maxRunners = this.flags['max-runners'] ?? this.fleet.descriptor?.maxRunners;

    this.log(`Active runners: ${active}${maxRunners ? ` of ${maxRunners}` : ''} (starting ${counts.starting}, idle ${counts.idle}, busy ${counts.busy}); queued ${counts.queued + counts.image_building}; runner slots held ${slotsHeld}`);
    await this.table({ data: ALL_STATUSES.map((s) => ({ status: s, runners: String(counts[s]) })), columns: ['status', 'runners'] });
    if (failuresLast24h.length === 0) this.log('No failures in the last 24 hours.');
    else {
      this.log('Failures in the last 24 hours:');
      await this.table({ data: failuresLast24h.map((f) => ({ count: String(f.count), reason: f.reason })), columns: ['count', 'reason'], overflow: 'wrap' });
    }
    return { counts, active, maxRunners, slotsHeld, failuresLast24h };
  }
}
