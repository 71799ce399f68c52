// A `workflow_job` delivery as API Gateway (HTTP API, payload 2.0) hands it to the Lambda: the body
// signed with the webhook secret as GitHub signs it. Shared by the bench's child processes.
import { createHmac, randomUUID } from 'node:crypto';

export function signedWebhookEvent(body, secret) {
  return {
    version: '2.0',
    routeKey: 'POST /webhook',
    rawPath: '/webhook',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'workflow_job',
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    },
    requestContext: { http: { method: 'POST', path: '/webhook' } },
    body,
    isBase64Encoded: false,
  };
}
