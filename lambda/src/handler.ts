import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context, DynamoDBBatchResponse, DynamoDBStreamEvent, EventBridgeEvent } from 'aws-lambda';
import type { Deps, WorkflowJobDetail } from './domain/ports.js';
import type { TaskStateDetail } from './domain/task-state.js';
import type { BuildStateDetail } from './domain/image-builds.js';
import { ingress } from './routes/ingress.js';
import { lazy } from './runtime/lazy.js';
import type { Log } from './runtime/logger.js';
import { fromApiGateway, reply, toApiGateway } from './webhook/http.js';
import { WORKFLOW_JOB_DETAIL_TYPE, WORKFLOW_JOB_SOURCE } from './domain/event-names.js';

type AnyEventBridgeEvent = EventBridgeEvent<string, unknown>;
export type ControlPlaneEvent = APIGatewayProxyEventV2 | AnyEventBridgeEvent | DynamoDBStreamEvent;

export type Route = 'ingress' | 'stream' | 'dispatch' | 'task-state' | 'image-build' | 'housekeeping' | 'unknown';

/** Recognises the event's shape; the handler holds no other logic. */
export function routeOf(event: unknown): Route {
  const e = event as Record<string, unknown>;
  if (typeof e?.requestContext === 'object' && e.requestContext !== null && 'http' in e.requestContext) return 'ingress';
  if (Array.isArray(e?.Records) && (e.Records[0] as { eventSource?: unknown } | undefined)?.eventSource === 'aws:dynamodb') return 'stream';
  if (e?.source === WORKFLOW_JOB_SOURCE && e['detail-type'] === WORKFLOW_JOB_DETAIL_TYPE) return 'dispatch';
  if (e?.source === 'aws.ecs' && e['detail-type'] === 'ECS Task State Change') return 'task-state';
  if (e?.source === 'aws.codebuild' && e['detail-type'] === 'CodeBuild Build State Change') return 'image-build';
  if (e?.source === 'aws.events' && e['detail-type'] === 'Scheduled Event') return 'housekeeping';
  return 'unknown';
}

/** Housekeeping stops starting new work this long before the Lambda would time out. */
const HOUSEKEEPING_RESERVE_MS = 5_000;
const DEFAULT_HOUSEKEEPING_BUDGET_MS = 20_000;

function housekeepingBudget(context: Pick<Context, 'getRemainingTimeInMillis'> | undefined): number {
  const remaining = context?.getRemainingTimeInMillis?.();
  return remaining === undefined ? DEFAULT_HOUSEKEEPING_BUDGET_MS : Math.max(1_000, remaining - HOUSEKEEPING_RESERVE_MS);
}

/**
 * Builds the Lambda handler around a dependency loader (called once, on the
 * first event). Webhook errors become a generic 500 with details in the logs;
 * bus events rethrow so EventBridge/Lambda retry them; a stream batch answers
 * which of its records failed (ReportBatchItemFailures).
 */
export function createHandler(loadDeps: () => Promise<Deps>, fallbackLog: Log) {
  const getDeps = lazy(loadDeps);

  return async function handler(event: ControlPlaneEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<APIGatewayProxyStructuredResultV2 | DynamoDBBatchResponse | void> {
    const route = routeOf(event);
    if (route === 'ingress') {
      let log = fallbackLog;
      try {
        const d = await getDeps();
        log = d.log;
        log.resetKeys();
        return toApiGateway(await ingress(fromApiGateway(event as APIGatewayProxyEventV2), d));
      } catch (error) {
        log.error('webhook could not be processed', { error });
        return toApiGateway(reply.error(500, 'internal error; the delivery was not accepted, redeliver it later'));
      }
    }

    const d = await getDeps();
    d.log.resetKeys();
    d.log.appendKeys({ route });
    const bridged = event as AnyEventBridgeEvent;
    try {
      switch (route) {
        // The stream and bus routes load on their first event, so a webhook's cold start compiles only ingress.
        case 'stream':
          return await (await import('./routes/stream.js')).streamDispatch(event as DynamoDBStreamEvent, d);
        case 'dispatch':
          return await (await import('./routes/dispatch.js')).dispatch(bridged.detail as WorkflowJobDetail, d);
        case 'task-state':
          return await (await import('./routes/task-state.js')).taskState(bridged.detail as TaskStateDetail, d);
        case 'image-build':
          return await (await import('./routes/image-build.js')).imageBuild(bridged.detail as BuildStateDetail, d);
        case 'housekeeping':
          await (await import('./routes/housekeeping.js')).housekeeping(d, { budgetMs: housekeepingBudget(context) });
          return;
        default:
          d.log.error('unrecognised event; dropped', { source: (event as { source?: unknown }).source });
      }
    } catch (error) {
      d.log.error('event failed; it will be retried', { error });
      throw error;
    } finally {
      await d.metrics.flush().catch((error: unknown) => d.log.warn('metrics could not be written', { error }));
    }
  };
}
