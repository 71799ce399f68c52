import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { EventPublisher, WorkflowJobDetail } from '../domain/ports.js';

export const WORKFLOW_JOB_SOURCE = 'runner-fleet.github';
export const WORKFLOW_JOB_DETAIL_TYPE = 'workflow_job';

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
