import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { WORKFLOW_JOB_DETAIL_TYPE, WORKFLOW_JOB_SOURCE } from '../domain/event-names.js';
import type { EventPublisher, WorkflowJobDetail } from '../domain/ports.js';

export function createEventPublisher(events: EventBridgeClient, busName: string): EventPublisher {
  const putBatch = async (details: WorkflowJobDetail[]) => {
    const out = await events.send(
      new PutEventsCommand({
        Entries: details.map((detail) => ({ EventBusName: busName, Source: WORKFLOW_JOB_SOURCE, DetailType: WORKFLOW_JOB_DETAIL_TYPE, Detail: JSON.stringify(detail) })),
      }),
    );
    if (out.FailedEntryCount) {
      const entry = out.Entries?.find((e) => e.ErrorCode);
      throw new Error(`PutEvents refused ${out.FailedEntryCount} event(s): ${entry?.ErrorCode ?? 'unknown'} ${entry?.ErrorMessage ?? ''}`.trim());
    }
  };
  return {
    publish: (detail) => putBatch([detail]),
    async publishAll(details) {
      // PutEvents takes at most 10 entries.
      for (let i = 0; i < details.length; i += 10) await putBatch(details.slice(i, i + 10));
    },
  };
}
