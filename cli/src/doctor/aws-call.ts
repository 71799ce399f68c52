import { createHash, createHmac } from 'node:crypto';
import type { AwsCredentialIdentity, Provider, SourceData } from '@smithy/types';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * Signed calls to the three AWS APIs the doctor reads once per run and for which the CLI ships
 * no SDK client (Lambda GetFunctionConfiguration, SQS GetQueueAttributes, STS
 * GetCallerIdentity). Credentials and region come from an SDK client the CLI already has, so the
 * default credential chain, profiles and AWS_ENDPOINT_URL[_<SERVICE>] behave as in every command.
 */
export interface AwsCaller {
  region: string;
  credentials: Provider<AwsCredentialIdentity>;
}

/** An AWS error answer: `name` is AWS's error code, as the SDK clients name theirs. */
export class AwsCallError extends Error {
  constructor(
    override readonly name: string,
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
  }
}

/** A SHA-256 (or HMAC-SHA-256, given a secret) for the signer, from node:crypto. */
class NodeSha256 {
  private hash;
  constructor(secret?: SourceData) {
    this.hash = secret ? createHmac('sha256', toBytes(secret)) : createHash('sha256');
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

function toBytes(data: SourceData): string | Uint8Array {
  if (typeof data === 'string' || data instanceof Uint8Array) return data;
  return ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
}

/** The endpoint the SDK would use: AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL, then AWS's regional host. */
export function endpointFor(serviceId: string, host: string, region: string, env = process.env): URL {
  const configured = env[`AWS_ENDPOINT_URL_${serviceId.toUpperCase()}`] || env.AWS_ENDPOINT_URL;
  return new URL(configured || `https://${host}.${region}.amazonaws.com`);
}

interface Call {
  signingName: string;
  serviceId: string;
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

async function send(caller: AwsCaller, call: Call): Promise<{ status: number; headers: Headers; text: string }> {
  const base = endpointFor(call.serviceId, call.signingName, caller.region);
  const basePath = base.pathname.replace(/\/$/, '');
  const signer = new SignatureV4({ service: call.signingName, region: caller.region, credentials: caller.credentials, sha256: NodeSha256 });
  const signed = await signer.sign({
    method: call.method,
    protocol: base.protocol,
    hostname: base.hostname,
    port: base.port ? Number(base.port) : undefined,
    path: `${basePath}${call.path}`,
    query: {},
    headers: { host: base.host, ...(call.headers ?? {}) },
    body: call.body,
  });
  const response = await fetch(new URL(`${basePath}${call.path}`, base), {
    method: call.method,
    headers: Object.fromEntries(Object.entries(signed.headers).filter(([name]) => name.toLowerCase() !== 'host')),
    body: call.body,
    signal: AbortSignal.timeout(15_000),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** The error code of a JSON or REST-JSON answer (`__type` or x-amzn-errortype, without its namespace). */
function jsonError(status: number, headers: Headers, text: string): AwsCallError {
  let body: { __type?: string; code?: string; message?: string; Message?: string } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // Not JSON (a proxy's page): the status says enough.
  }
  const raw = headers.get('x-amzn-errortype') ?? body.__type ?? body.code ?? `HTTP${status}`;
  const code = raw.split(':')[0]!.split('#').pop()!;
  return new AwsCallError(code, body.message ?? body.Message ?? `HTTP ${status}`, status);
}

/** Lambda GetFunctionConfiguration (REST-JSON). */
export async function getFunctionConfiguration(caller: AwsCaller, functionName: string): Promise<{ FunctionName?: string; State?: string; LastUpdateStatus?: string; Environment?: { Variables?: Record<string, string>; Error?: { ErrorCode?: string; Message?: string } } }> {
  const { status, headers, text } = await send(caller, { signingName: 'lambda', serviceId: 'lambda', method: 'GET', path: `/2015-03-31/functions/${encodeURIComponent(functionName)}/configuration` });
  if (status !== 200) throw jsonError(status, headers, text);
  return JSON.parse(text) as Awaited<ReturnType<typeof getFunctionConfiguration>>;
}

/** SQS GetQueueAttributes (the AWS JSON 1.0 protocol of current SDKs). */
export async function getQueueAttributes(caller: AwsCaller, queueUrl: string, names: string[]): Promise<Record<string, string>> {
  const { status, headers, text } = await send(caller, {
    signingName: 'sqs',
    serviceId: 'sqs',
    method: 'POST',
    path: '/',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.GetQueueAttributes' },
    body: JSON.stringify({ QueueUrl: queueUrl, AttributeNames: names }),
  });
  if (status !== 200) throw jsonError(status, headers, text);
  return (JSON.parse(text) as { Attributes?: Record<string, string> }).Attributes ?? {};
}

/** STS GetCallerIdentity (the query protocol: form-encoded request, XML answer). */
export async function getCallerIdentity(caller: AwsCaller): Promise<{ account: string; arn: string }> {
  const { status, text } = await send(caller, {
    signingName: 'sts',
    serviceId: 'sts',
    method: 'POST',
    path: '/',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: 'Action=GetCallerIdentity&Version=2011-06-15',
  });
  const tag = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(text)?.[1];
  if (status !== 200) throw new AwsCallError(tag('Code') ?? `HTTP${status}`, tag('Message') ?? `HTTP ${status}`, status);
  return { account: tag('Account') ?? '', arn: tag('Arn') ?? '' };
}
