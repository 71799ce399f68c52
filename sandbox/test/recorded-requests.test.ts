import { describe, expect, it } from '@jest/globals';
import { botocoreModel } from '../src/aws/botocore-models.js';
import { checkRecordedRequest, type RecordedRequest } from '../src/aws/recorded-requests.js';

const request = (r: Partial<RecordedRequest>): RecordedRequest => ({ service: '', target: '', method: 'POST', path: '/', query: '', contentType: '', body: '', ...r });

const createFunction = (variables: Record<string, string>) =>
  request({
    service: 'lambda',
    path: '/2015-03-31/functions',
    contentType: 'application/json',
    body: JSON.stringify({ FunctionName: 'runner-fleet-control-plane', Role: 'arn:aws:iam::123456789012:role/r', Runtime: 'nodejs22.x', Handler: 'index.handler', Code: { ZipFile: 'UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==' }, Environment: { Variables: variables } }),
  });

describe('requests recorded from moto, checked against botocore', () => {
  it('refuses a Lambda environment key with a dash, which moto accepts and AWS does not', () => {
    const result = checkRecordedRequest(botocoreModel('lambda'), createFunction({ 'RUNNER-TABLE': 't' }));
    expect(result).toEqual({ kind: 'checked', operation: 'CreateFunction', violations: [expect.stringMatching(/RUNNER-TABLE.*regular expression pattern/)] });
    expect(checkRecordedRequest(botocoreModel('lambda'), createFunction({ RUNNER_TABLE: 't' }))).toEqual({ kind: 'checked', operation: 'CreateFunction', violations: [] });
  });

  it('finds a REST operation from its method and path and checks the path labels', () => {
    const ok = checkRecordedRequest(botocoreModel('lambda'), request({ service: 'lambda', method: 'DELETE', path: '/2015-03-31/functions/runner-fleet-control-plane/policy/events-housekeeping' }));
    expect(ok).toEqual({ kind: 'checked', operation: 'RemovePermission', violations: [] });
    const bad = checkRecordedRequest(botocoreModel('lambda'), request({ service: 'lambda', method: 'DELETE', path: `/2015-03-31/functions/runner-fleet-control-plane/policy/${'s'.repeat(101)}` }));
    expect(bad).toMatchObject({ kind: 'checked', operation: 'RemovePermission', violations: [expect.stringMatching(/StatementId/)] });
  });

  it('reads REST-JSON bodies by their wire names (API Gateway v2 sends camelCase)', () => {
    const body = (protocolType: string) => JSON.stringify({ name: 'runner-fleet-webhook', protocolType });
    expect(checkRecordedRequest(botocoreModel('apigatewayv2'), request({ method: 'POST', path: '/v2/apis', body: body('HTTP') }))).toEqual({ kind: 'checked', operation: 'CreateApi', violations: [] });
    expect(checkRecordedRequest(botocoreModel('apigatewayv2'), request({ method: 'POST', path: '/v2/apis', body: body('SOAP') }))).toMatchObject({ violations: [expect.stringMatching(/SOAP.*ProtocolType.*enum/)] });
  });

  it('checks JSON-protocol bodies by their target', () => {
    const listTasks = (desiredStatus: string) => request({ target: 'AmazonEC2ContainerServiceV20141113.ListTasks', body: JSON.stringify({ cluster: 'runner-fleet', desiredStatus }) });
    expect(checkRecordedRequest(botocoreModel('ecs'), listTasks('RUNNING'))).toEqual({ kind: 'checked', operation: 'ListTasks', violations: [] });
    expect(checkRecordedRequest(botocoreModel('ecs'), listTasks('DONE'))).toMatchObject({ violations: [expect.stringMatching(/DONE.*desiredStatus.*enum/)] });
  });

  it('says which requests it does not check (query protocol)', () => {
    expect(checkRecordedRequest(botocoreModel('iam'), request({ body: 'Action=GetRole&RoleName=r&Version=2010-05-08', contentType: 'application/x-www-form-urlencoded' }))).toEqual({ kind: 'unchecked', reason: 'query protocol' });
  });
});
