/**
 * API Gateway HTTP APIs refuse payloads over 10 MB (a quota that cannot be
 * raised), so nothing larger reaches the Lambda through it; the Lambda
 * refuses the same, whatever sits in front of it. (GitHub caps its payloads at 25 MB.)
 */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes the raw body as strict UTF-8, or undefined when it is not valid UTF-8. */
export function decodeUtf8(body: Buffer): string | undefined {
  try {
    return strictUtf8.decode(body);
  } catch {
    return undefined;
  }
}

/**
 * Parses a JSON delivery or a form-encoded one (`payload=<json>`), GitHub's
 * two content types. Returns the payload, or a reason when it cannot be read.
 */
export function parsePayload(text: string, contentType: string | undefined): { payload: unknown } | { reason: string } {
  const type = (contentType ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  let json = text;
  if (type === 'application/x-www-form-urlencoded') {
    const payload = new URLSearchParams(text).get('payload');
    if (payload === null) return { reason: 'form-encoded body has no "payload" field' };
    json = payload;
  } else if (type !== 'application/json') {
    return { reason: `unsupported content type "${type}"; use application/json or application/x-www-form-urlencoded` };
  }
  try {
    const payload: unknown = JSON.parse(json);
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return { reason: 'payload is not a JSON object' };
    return { payload };
  } catch {
    return { reason: 'body is not valid JSON' };
  }
}
