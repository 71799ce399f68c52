import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { WORKFLOW_JOB_DETAIL_TYPE, WORKFLOW_JOB_SOURCE } from '../domain/event-names.js';
import type { EventPublisher, WorkflowJobDetail } from '../domain/ports.js';

export function createEventPublisher(events: EventBridgeClient, busName: string): EventPublisher {
  return {
    async publish(detail: WorkflowJobDetail): Promise<void> {
      const out = await events.send(
        new PutEventsCommand({
          Entries: [{ EventBusName: busName, Source: WORKFLOW_JOB_SOURCE, DetailType: WORKFLOW_JOB_DETAIL_TYPE, Detail: JSON.stringify(detail) }],
        }),
      );
      if (out.FailedEntryCount) {
        const entry = out.Entries?.[0];
        throw new Error(`PutEvents refused the event: ${entry?.ErrorCode ?? 'unknown'} ${entry?.ErrorMessage ?? ''}`.trim());
      }
    },
  };
}
