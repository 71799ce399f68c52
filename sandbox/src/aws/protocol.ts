import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { modelForTargetPrefix } from './aws-models.js';
import { validateRequest } from './model-validation.js';

export const ACCOUNT_ID = '000000000000';

/** An AWS error in the JSON 1.1 protocol's shape (`__type` + message), as the SDK parses it. */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
  }
}

/** One simulated service: its X-Amz-Target prefix and its operations. */
export interface JsonService {
  targetPrefix: string;
  operations: Record<string, (input: Record<string, unknown>) => unknown | Promise<unknown>>;
}

export function sendJson(res: ServerResponse, statusCode: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(statusCode, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(payload),
    'x-amzn-requestid': randomUUID(),
  });
  res.end(payload);
}

export function sendAwsError(res: ServerResponse, error: AwsError): void {
  sendJson(res, error.statusCode, { __type: error.code, message: error.message });
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function requireString(input: Record<string, unknown>, name: string, exceptionCode = 'InvalidParameterException'): string {
  const value = input[name];
  if (typeof value !== 'string' || value.length === 0) throw new AwsError(exceptionCode, `${name} is required`);
  return value;
}

/**
 * Decodes a JSON 1.1 request body and checks it against the vendor's model of the operation
 * (sandbox/models/aws), failing as AWS does: HTTP 400 with the service's validation `__type`.
 */
export function decodeRequest(targetPrefix: string, operation: string, body: Buffer): Record<string, unknown> {
  let input: unknown = {};
  if (body.length > 0) {
    try {
      input = JSON.parse(body.toString('utf8'));
    } catch {
      throw new AwsError('SerializationException', 'The request body is not valid JSON');
    }
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new AwsError('SerializationException', 'The request body must be a JSON object');
  const model = modelForTargetPrefix(targetPrefix);
  if (!model) throw new AwsError('UnknownOperationException', `No vendored model for ${targetPrefix}`);
  validateRequest(model, operation, input);
  return input as Record<string, unknown>;
}
