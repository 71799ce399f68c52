import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The HTTP API (payload format 2.0) event API Gateway would hand the Lambda
 * for this request. Text bodies are passed as text, anything that is not
 * valid UTF-8 base64-encoded, as API Gateway does for binary payloads.
 */
export function toApiGatewayEvent(req: IncomingMessage, body: Buffer): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  let text: string | undefined;
  try {
    text = strictUtf8.decode(body);
  } catch {
    text = undefined;
  }
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const now = new Date();
  return {
    version: '2.0',
    routeKey: 'POST /webhook',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    requestContext: {
      accountId: '000000000000',
      apiId: 'sandbox',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: 'sandbox',
      http: { method: req.method ?? 'POST', path: url.pathname, protocol: `HTTP/${req.httpVersion}`, sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey: 'POST /webhook',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: text ?? body.toString('base64'),
    isBase64Encoded: text === undefined,
  };
}
