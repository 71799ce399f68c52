import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { loadServiceModel } from './aws-models.js';
import { validateRequest } from './model-validation.js';
import { ACCOUNT_ID, AwsError } from './protocol.js';

const CONFIGURATION = /^\/2015-03-31\/functions\/([^/]+)\/configuration$/;

/** Variables Lambda sets itself and refuses in a function's configuration. */
const RESERVED = new Set(['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_LAMBDA_FUNCTION_NAME']);

/**
 * Lambda's REST-JSON API, as far as ecsrunner doctor reads it: GetFunctionConfiguration of the
 * control-plane function (its environment is the sandbox's control-plane environment).
 */
export class LambdaSimulator {
  /** The function's environment as Lambda would report it; tests edit it to break the configuration. */
  readonly environment: Record<string, string> = {};

  constructor(
    private readonly region: string,
    readonly functionName: string,
  ) {}

  /** Deploys the function's environment (what Terraform sets), without the variables Lambda reserves. */
  deploy(environment: Record<string, string>): void {
    for (const [name, value] of Object.entries(environment)) if (!RESERVED.has(name)) this.environment[name] = value;
  }

  /** True when this simulator answers the request path. */
  handles(method: string, path: string): boolean {
    return method === 'GET' && CONFIGURATION.test(new URL(path, 'http://lambda').pathname);
  }

  handle(res: ServerResponse, path: string): void {
    const url = new URL(path, 'http://lambda');
    const input: Record<string, unknown> = { FunctionName: decodeURIComponent(CONFIGURATION.exec(url.pathname)![1]!) };
    if (url.searchParams.has('Qualifier')) input.Qualifier = url.searchParams.get('Qualifier');
    try {
      validateRequest(loadServiceModel('lambda'), 'GetFunctionConfiguration', input);
      const name = String(input.FunctionName).replace(/^arn:[^:]+:lambda:[^:]+:\d{12}:function:/, '').split(':')[0];
      if (name !== this.functionName) throw new AwsError('ResourceNotFoundException', `Function not found: arn:aws:lambda:${this.region}:${ACCOUNT_ID}:function:${name}`, 404);
      send(res, 200, {
        FunctionName: this.functionName,
        FunctionArn: `arn:aws:lambda:${this.region}:${ACCOUNT_ID}:function:${this.functionName}`,
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        State: 'Active',
        LastUpdateStatus: 'Successful',
        Environment: { Variables: { ...this.environment } },
      });
    } catch (error) {
      if (!(error instanceof AwsError)) throw error;
      send(res, error.statusCode, { Type: 'User', message: error.message }, error.code);
    }
  }
}

function send(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), 'x-amzn-requestid': randomUUID(), ...(errorType ? { 'x-amzn-errortype': errorType } : {}) });
  res.end(payload);
}
