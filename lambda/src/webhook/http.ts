import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** A webhook delivery as the control plane sees it: lower-cased headers, the raw body bytes, and who sent it. */
export interface WebhookRequest {
  headers: Record<string, string>;
  body: Buffer;
  /** The client address API Gateway saw (requestContext.http.sourceIp): the TCP peer, not a forwarded-for header. */
  sourceIp?: string;
}

export interface WebhookResponse {
  statusCode: number;
  body: Record<string, unknown>;
}

export function fromApiGateway(event: APIGatewayProxyEventV2): WebhookRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  const raw = event.body ?? '';
  return {
    headers,
    body: event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8'),
    sourceIp: event.requestContext?.http?.sourceIp,
  };
}

export function toApiGateway(response: WebhookResponse): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: response.statusCode,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(response.body),
  };
}

export const reply = {
  error: (statusCode: number, reason: string): WebhookResponse => ({ statusCode, body: { status: 'error', reason } }),
  ignored: (reason: string): WebhookResponse => ({ statusCode: 202, body: { status: 'ignored', reason } }),
  duplicate: (): WebhookResponse => ({ statusCode: 202, body: { status: 'duplicate' } }),
  accepted: (runnerId?: string): WebhookResponse => ({ statusCode: 202, body: runnerId ? { status: 'accepted', runnerId } : { status: 'accepted' } }),
  failed: (runnerId: string, reason: string): WebhookResponse => ({ statusCode: 202, body: { status: 'failed', runnerId, reason } }),
  pong: (): WebhookResponse => ({ statusCode: 200, body: { status: 'pong' } }),
};
