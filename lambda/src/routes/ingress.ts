import { classifyLabels, runnerIdFor, type RunnerRecord } from '@runner-fleet/core';
import type { Deps, WorkflowJobDetail } from '../domain/ports.js';
import { decodeUtf8, MAX_BODY_BYTES, parsePayload } from '../webhook/body.js';
import { readDeliveryHeaders } from '../webhook/headers.js';
import { reply, type WebhookRequest, type WebhookResponse } from '../webhook/http.js';
import { checkSignature, signatureHeaderProblem } from '../webhook/signature.js';
import { sourceAllowList } from '../webhook/source-ip.js';
import { parseWorkflowJob, type WorkflowJobEvent } from '../webhook/workflow-job.js';

const HANDLED_ACTIONS = new Set(['queued', 'in_progress', 'completed']);

/**
 * POST /webhook (DESIGN §8): verify, parse, filter, de-duplicate, and make one
 * conditional write. That write is the hand-off: its stream INSERT triggers
 * dispatch, where the slow work (GitHub, ECS) happens (docs/design-notes.md,
 * "§1/§8/§9 the hand-off").
 */
export async function ingress(request: WebhookRequest, deps: Deps): Promise<WebhookResponse> {
  const { headers, body } = request;
  // Before anything else, the signature included: an address outside the allow-list learns nothing more.
  const outsider = sourceAllowList(deps.config.webhookAllowedCidrs).refusal(request.sourceIp);
  if (outsider) {
    deps.log.warn('webhook refused by the source-IP allow-list', { sourceIp: request.sourceIp });
    return reply.error(403, outsider);
  }
  if (body.length > MAX_BODY_BYTES) return reply.error(413, `body is ${body.length} bytes; the limit is ${MAX_BODY_BYTES} (API Gateway's HTTP API payload limit, 10 MB)`);

  const signature = headers['x-hub-signature-256'];
  const malformed = signatureHeaderProblem(signature);
  if (malformed) return reply.error(401, malformed);
  if (body.length === 0) return reply.error(400, 'body is empty');
  const text = decodeUtf8(body);
  if (text === undefined) return reply.error(400, 'body is not valid UTF-8');
  const refused = await checkSignature(text, signature, await deps.webhookSecrets());
  if (refused) return reply.error(401, refused);

  const delivery = readDeliveryHeaders(headers);
  if ('problem' in delivery) return reply.error(400, delivery.problem);
  const { deliveryId, eventName } = delivery;
  deps.log.appendKeys({ deliveryId, githubEvent: eventName });

  const parsed = parsePayload(text, headers['content-type']);
  if ('reason' in parsed) return reply.error(400, parsed.reason);
  if (eventName === 'ping') return reply.pong();
  if (eventName !== 'workflow_job') return reply.ignored(`event "${eventName}" is not handled`);

  const event = parseWorkflowJob(parsed.payload as Record<string, unknown>);
  if (typeof event === 'string') return reply.error(400, event);
  deps.log.appendKeys({ jobId: event.job.id, action: event.action });

  if (event.repo.toLowerCase() !== deps.config.githubRepo.toLowerCase()) {
    return reply.ignored(`repository ${event.repo} is not served by this fleet`);
  }
  if (!HANDLED_ACTIONS.has(event.action)) return reply.ignored(`action "${event.action}" is not handled`);
  const verdict = classifyLabels(event.job.labels, await deps.labelPolicy());
  if (verdict.kind === 'not-ours') return reply.ignored(verdict.reason);

  if (event.action === 'queued') return recordQueuedJob(event, deliveryId, verdict, deps);
  return forwardJobUpdate(event, deliveryId, deps);
}

async function recordQueuedJob(
  event: WorkflowJobEvent,
  deliveryId: string,
  verdict: Exclude<ReturnType<typeof classifyLabels>, { kind: 'not-ours' }>,
  deps: Deps,
): Promise<WebhookResponse> {
  const { config, store } = deps;
  const runnerId = runnerIdFor(config.runnerNamePrefix, event.job.id);
  deps.log.appendKeys({ runnerId });
  const failure =
    verdict.kind === 'invalid'
      ? verdict.reason
      : verdict.baseImage && !config.imageBuildProject
        ? `label "image:${verdict.baseImage}": dynamic images are disabled (IMAGE_BUILD_PROJECT is empty)`
        : undefined;
  const now = deps.now().toISOString();
  const record: RunnerRecord = {
    runnerId,
    status: failure ? 'failed' : 'queued',
    statusReason: failure ?? 'waiting for dispatch',
    repo: event.repo,
    jobId: event.job.id,
    runId: event.job.runId,
    runAttempt: event.job.runAttempt,
    jobName: event.job.name,
    workflowName: event.job.workflowName,
    labels: event.job.labels,
    runnerClass: verdict.runnerClass,
    cpu: verdict.size?.cpu,
    memory: verdict.size?.memory,
    spot: verdict.size?.spot,
    baseImage: verdict.kind === 'ours' ? verdict.baseImage : undefined,
    createdAt: now,
    updatedAt: now,
    finishedAt: failure ? now : undefined,
    deliveryId,
    installationId: event.installationId,
    version: 1,
  };
  if (!(await store.create(record))) {
    deps.log.info('job already recorded; nothing to do');
    return reply.duplicate();
  }
  if (failure) {
    deps.log.warn('job refused', { reason: failure });
    return reply.failed(runnerId, failure);
  }
  deps.log.info('job queued for dispatch', { runnerClass: record.runnerClass });
  return reply.accepted(runnerId);
}

/**
 * in_progress / completed: one conditional PutItem of a marker that carries the update.
 * `completed` is keyed by the job (it also tells a late `queued` that the job ended, so
 * that one launches nothing); `in_progress` by the runner that took the job (so a stopped
 * task can tell whether it ran one before the stream has delivered the start).
 */
async function forwardJobUpdate(event: WorkflowJobEvent, deliveryId: string, deps: Deps): Promise<WebhookResponse> {
  const update: Omit<WorkflowJobDetail, 'runner'> = {
    action: event.action as WorkflowJobDetail['action'],
    deliveryId,
    repo: event.repo,
    ...(event.installationId ? { installationId: event.installationId } : {}),
    job: event.job,
  };
  if (event.action === 'in_progress' && !event.job.runnerName) return reply.ignored('in_progress names no runner');
  const recorded = event.action === 'completed' ? await deps.store.markJobEnded(event.job.id, update) : await deps.store.markJobStarted(event.job.runnerName!, update);
  return recorded ? reply.accepted() : reply.duplicate();
}
