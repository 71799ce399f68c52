import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sign } from '@octokit/webhooks-methods';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { parseGitHubAuth } from '../src/adapters/github-auth.js';
import { createHandler, routeOf } from '../src/handler.js';
import type { WorkflowJobDetail } from '../src/domain/ports.js';
import { handoffOf } from '../src/domain/stream-handoff.js';
import { makeDeps, silentLog, startTable, streamInsertsOf } from './support/fixtures.js';

function apiEvent(body: string, headers: Record<string, string>, base64 = false): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /webhook',
    rawPath: '/webhook',
    rawQueryString: '',
    headers,
    requestContext: { http: { method: 'POST', path: '/webhook' } } as APIGatewayProxyEventV2['requestContext'],
    body: base64 ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: base64,
  };
}

describe('handler', () => {
  let table: Awaited<ReturnType<typeof startTable>>;
  beforeAll(async () => {
    table = await startTable();
  });
  afterAll(() => table.stop());

  it('routes each event shape to its route', () => {
    expect(routeOf(apiEvent('{}', {}))).toBe('ingress');
    expect(routeOf({ source: 'runner-fleet.github', 'detail-type': 'workflow_job', detail: {} })).toBe('dispatch');
    expect(routeOf({ source: 'aws.ecs', 'detail-type': 'ECS Task State Change', detail: {} })).toBe('task-state');
    expect(routeOf({ source: 'aws.codebuild', 'detail-type': 'CodeBuild Build State Change' })).toBe('image-build');
    expect(routeOf({ source: 'aws.events', 'detail-type': 'Scheduled Event' })).toBe('housekeeping');
    expect(routeOf({ hello: 'world' })).toBe('unknown');
    expect(routeOf(null)).toBe('unknown');
  });

  it('accepts a queued job delivered base64-encoded with mixed-case headers with one write, whose stream record is the hand-off', async () => {
    const published: WorkflowJobDetail[] = [];
    const deps = makeDeps(table.store, table.clock, { bus: { publish: async (d) => void published.push(d), publishAll: async (ds) => void published.push(...ds) } });
    const handler = createHandler(async () => deps, silentLog);
    const body = JSON.stringify({
      action: 'queued',
      repository: { full_name: 'Octo-Org/Octo-Repo' },
      installation: { id: 7 },
      workflow_job: { id: 4242, run_id: 4241, run_attempt: 2, name: 'test', workflow_name: 'CI', labels: ['Self-Hosted'], runner_name: null, conclusion: null },
    });
    const result = await handler(
      apiEvent(body, { 'Content-Type': 'application/json', 'X-GitHub-Event': 'workflow_job', 'X-GitHub-Delivery': 'abc', 'X-Hub-Signature-256': await sign('secret', body) }, true),
    );
    expect(result).toEqual({ statusCode: 202, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 'accepted', runnerId: 'ecs-runner-4242' }) });
    // Nothing on the bus: the record's stream INSERT hands the job to dispatch.
    expect(published).toEqual([]);
    const stream = await streamInsertsOf(table.doc, ['ecs-runner-4242']);
    expect(routeOf(stream)).toBe('stream');
    expect(stream.Records.map(handoffOf)).toEqual([
      {
        action: 'queued',
        deliveryId: 'abc',
        repo: 'Octo-Org/Octo-Repo',
        installationId: 7,
        job: { id: 4242, runId: 4241, runAttempt: 2, name: 'test', workflowName: 'CI', labels: ['Self-Hosted'], runnerName: null, conclusion: null },
        runner: { runnerId: 'ecs-runner-4242', version: 1, runnerClass: 'small', cpu: 512, memory: 1024, spot: false },
      },
    ]);
  });

  it('answers a webhook with a generic 500 when the configuration is broken, and rethrows for bus events', async () => {
    const errors: string[] = [];
    const log = { ...silentLog, error: (m: string) => void errors.push(m) };
    const handler = createHandler(async () => {
      throw new Error('invalid control-plane configuration: RUNNER_TABLE is required');
    }, log);
    const answer = await handler(apiEvent('{}', { 'x-hub-signature-256': 'sha256=00' }));
    expect(answer).toMatchObject({ statusCode: 500, body: JSON.stringify({ status: 'error', reason: 'internal error; the delivery was not accepted, redeliver it later' }) });
    expect(errors).toEqual(['webhook could not be processed']);
    await expect(handler({ source: 'aws.ecs', 'detail-type': 'ECS Task State Change', detail: {} } as never)).rejects.toThrow(/RUNNER_TABLE is required/);
  });
});

describe('GitHub auth parameter', () => {
  it('reads a PAT or a GitHub App, and says what is wrong otherwise', () => {
    expect(parseGitHubAuth(' ghp_abc \n')).toEqual({ kind: 'pat', token: 'ghp_abc' });
    expect(parseGitHubAuth('{"appId":12,"privateKey":"-----BEGIN PRIVATE KEY-----\\nx\\n-----END PRIVATE KEY-----","installationId":5}')).toEqual({
      kind: 'app',
      appId: '12',
      privateKey: '-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----',
      installationId: 5,
    });
    expect(() => parseGitHubAuth('{"appId":"x"}')).toThrow('GitHub auth parameter: appId must be a number; privateKey must be a PEM private key');
    expect(() => parseGitHubAuth('{oops')).toThrow(/not valid JSON/);
    expect(() => parseGitHubAuth('two words')).toThrow(/one word/);
  });
});
