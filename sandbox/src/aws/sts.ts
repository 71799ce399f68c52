import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { loadServiceModel } from './aws-models.js';
import { validateRequest } from './model-validation.js';
import { ACCOUNT_ID, AwsError } from './protocol.js';

const VERSION = '2011-06-15';
const NAMESPACE = `https://sts.amazonaws.com/doc/${VERSION}/`;

/** True for an AWS query-protocol request (form-encoded Action=…), which is how STS is called. */
export function isQueryRequest(contentType: string | undefined, body: Buffer): boolean {
  return /application\/x-www-form-urlencoded/i.test(contentType ?? '') && /(^|&)Action=/.test(body.toString('utf8'));
}

/**
 * STS GetCallerIdentity in the query protocol (form-encoded request, XML answer): the sandbox's
 * credentials are an IAM user of the simulated account.
 */
export function handleStsQuery(res: ServerResponse, body: Buffer): void {
  const form = new URLSearchParams(body.toString('utf8'));
  const action = form.get('Action') ?? '';
  const requestId = randomUUID();
  try {
    if (form.get('Version') !== VERSION) throw new AwsError('InvalidAction', `Could not find operation ${action} for version ${form.get('Version') ?? '(none)'}`);
    if (action !== 'GetCallerIdentity') throw new AwsError('InvalidAction', `The sandbox does not simulate STS ${action}`);
    const params = Object.fromEntries([...form.entries()].filter(([name]) => name !== 'Action' && name !== 'Version'));
    validateRequest(loadServiceModel('sts'), action, params);
    sendXml(res, 200, `<GetCallerIdentityResponse xmlns="${NAMESPACE}"><GetCallerIdentityResult><Arn>arn:aws:iam::${ACCOUNT_ID}:user/sandbox</Arn><UserId>AIDASANDBOXSANDBOX000</UserId><Account>${ACCOUNT_ID}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`);
  } catch (error) {
    if (!(error instanceof AwsError)) throw error;
    sendXml(res, error.statusCode, `<ErrorResponse xmlns="${NAMESPACE}"><Error><Type>Sender</Type><Code>${error.code}</Code><Message>${escapeXml(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`);
  }
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function sendXml(res: ServerResponse, status: number, xml: string): void {
  res.writeHead(status, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(xml), 'x-amzn-requestid': randomUUID() });
  res.end(xml);
}
