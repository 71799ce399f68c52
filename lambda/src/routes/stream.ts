import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { handoffOf } from '../domain/stream-handoff.js';
import type { Deps, WorkflowJobDetail } from '../domain/ports.js';
import { dispatch } from './dispatch.js';

/**
 * The runner table's stream (the hand-off ingress's one write makes): each record is
 * dispatched in order. At the first failure the rest are reported failed without being
 * run: Lambda retries a shard's batch from the lowest failed sequence number anyway, so
 * the records before it are done once and those after it run once, on the retry.
 */
export async function streamDispatch(event: DynamoDBStreamEvent, deps: Deps): Promise<DynamoDBBatchResponse> {
  const records = event.Records ?? [];
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    deps.log.resetKeys();
    deps.log.appendKeys({ route: 'stream', streamEventId: record.eventID });
    const handoff = handoffOf(record);
    if ('skipped' in handoff) {
      deps.log.warn('stream record skipped; the mapping filter should have dropped it', { reason: handoff.skipped });
      continue;
    }
    try {
      await dispatchHandoff(handoff, deps);
    } catch (error) {
      deps.log.error('stream record failed; it and the records after it will be retried', { error });
      return { batchItemFailures: records.slice(i).map((r) => ({ itemIdentifier: r.dynamodb?.SequenceNumber ?? '' })) };
    }
  }
  return { batchItemFailures: [] };
}

/** A `queued` whose job already ended (its `completed` arrived first) launches nothing. */
async function dispatchHandoff(detail: WorkflowJobDetail, deps: Deps): Promise<void> {
  const ended = detail.action === 'queued' && detail.runner ? await deps.store.jobEnded(detail.job.id) : undefined;
  if (ended && detail.runner) {
    const result = await deps.store.advance(detail.runner.runnerId, 'cancelled', {
      conclusion: ended.conclusion,
      statusReason: `job ${detail.job.id} ended (${ended.conclusion}) before its queued delivery was dispatched; no runner launched`,
    });
    deps.log.info('queued job had already ended; nothing launched', { cancelled: result.changed });
    return;
  }
  return dispatch(detail, deps);
}
