import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { handoffOf } from '../domain/stream-handoff.js';
import type { Deps, WorkflowJobDetail } from '../domain/ports.js';
import type { Log } from '../runtime/logger.js';
import { dispatch } from './dispatch.js';

/**
 * The runner table's stream (the hand-off ingress's one write makes). A batch's records are
 * dispatched concurrently: each is a different item (the mapping's filter lets through INSERTs
 * only), so their order does not matter, and a slow launch must not hold back the job updates
 * behind it. Lambda retries a shard's batch from the lowest failed sequence number, so that
 * record and every later one are reported; the later ones that succeeded run again on the
 * retry, which is safe because dispatch is idempotent (the storm test's guarantee).
 */
export async function streamDispatch(event: DynamoDBStreamEvent, deps: Deps): Promise<DynamoDBBatchResponse> {
  const records = event.Records ?? [];
  const failed = await Promise.all(records.map((record) => dispatchRecord(record, deps)));
  const first = failed.indexOf(true);
  if (first < 0) return { batchItemFailures: [] };
  return { batchItemFailures: records.slice(first).map((r) => ({ itemIdentifier: r.dynamodb?.SequenceNumber ?? '' })) };
}

/** True when the record failed and must be retried. */
async function dispatchRecord(record: DynamoDBRecord, deps: Deps): Promise<boolean> {
  const log = scopedLog(deps.log, { route: 'stream', streamEventId: record.eventID });
  const handoff = handoffOf(record);
  if ('skipped' in handoff) {
    log.warn('stream record skipped; the mapping filter should have dropped it', { reason: handoff.skipped });
    return false;
  }
  try {
    await dispatchHandoff(handoff, { ...deps, log });
    return false;
  } catch (error) {
    log.error('stream record failed; it and the records after it will be retried', { error });
    return true;
  }
}

/**
 * A `queued` record's INSERT is the hand-off only for the version ingress wrote: one consistent
 * batch read finds the record as it stands and whether its job already ended. A record that moved
 * on (launched, waiting with a retry time, re-dispatched by housekeeping, ended) belongs to the
 * path that moved it, so a late or repeated delivery does nothing: no second registration, and
 * never a cancel of a runner that is already up. A still-untouched record whose job ended (its
 * `completed` arrived first) is cancelled with the job's conclusion, and nothing is launched.
 */
async function dispatchHandoff(detail: WorkflowJobDetail, deps: Deps): Promise<void> {
  if (detail.action !== 'queued' || !detail.runner) return dispatch(detail, deps);
  const { runnerId, version } = detail.runner;
  const { record, ended } = await deps.store.handoffState(runnerId, detail.job.id);
  if (!record || record.status !== 'queued' || record.version !== version) {
    deps.log.info('hand-off already taken over; nothing to do', { runnerId, handoffVersion: version, status: record?.status, version: record?.version });
    return;
  }
  if (ended) {
    const result = await deps.store.advance(runnerId, 'cancelled', {
      conclusion: ended.conclusion,
      statusReason: `job ${detail.job.id} ended (${ended.conclusion}) before its queued delivery was dispatched; no runner launched`,
    });
    deps.log.info('queued job had already ended; nothing launched', { runnerId, cancelled: result.changed });
    return;
  }
  return dispatch(detail, deps);
}

/** A log whose keys belong to one record: records dispatched side by side must not share (and overwrite) the logger's keys. */
function scopedLog(base: Log, initial: Record<string, unknown>): Log {
  let keys = { ...initial };
  const line = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, ...extra: Array<Record<string, unknown>>) => base[level](message, keys, ...extra);
  return {
    debug: line('debug'),
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
    appendKeys: (more) => void (keys = { ...keys, ...more }),
    resetKeys: () => void (keys = { ...initial }),
  };
}
