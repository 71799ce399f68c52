import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { RunnerRecord } from '@runner-fleet/core';
import type { DynamoDBRecord } from 'aws-lambda';
import { dispatchEventFor } from './dispatch-event.js';
import type { WorkflowJobDetail } from './ports.js';

/**
 * What a runner-table stream record hands to dispatch (the INSERTs the event source
 * mapping's FilterCriteria let through, modules/control-plane/stream-mapping.json):
 * a `queued` record ingress wrote, or a delivery / job-ended marker that carries an
 * update. Undefined for anything else, with the reason.
 */
export function handoffOf(record: DynamoDBRecord): WorkflowJobDetail | { skipped: string } {
  if (record.eventName !== 'INSERT') return { skipped: `a ${record.eventName ?? 'nameless'} record is no hand-off` };
  const image = record.dynamodb?.NewImage;
  if (!image) return { skipped: 'the record has no new image (the stream must carry NEW_IMAGE)' };
  const item = unmarshall(image as Record<string, AttributeValue>);
  if (item.kind === undefined && item.status === 'queued' && typeof item.deliveryId === 'string') {
    const runner = item as RunnerRecord;
    return dispatchEventFor(runner, item.deliveryId, runner.installationId);
  }
  const update = item.update as Partial<WorkflowJobDetail> | undefined;
  if ((item.kind === 'job-started' || item.kind === 'job-ended') && update && (update.action === 'in_progress' || update.action === 'completed') && update.job && typeof update.deliveryId === 'string') {
    return update as WorkflowJobDetail;
  }
  return { skipped: `item ${String(item.runnerId)} is no hand-off` };
}
