import { describe, expect, it } from '@jest/globals';
import type { ServerResponse } from 'node:http';
import { LambdaSimulator } from '../src/aws/lambda.js';
import { compileFilterPattern } from '../src/aws/logs.js';
import { decodeRequest } from '../src/aws/protocol.js';
import { SqsSimulator } from '../src/aws/sqs.js';
import { handleStsQuery, isQueryRequest } from '../src/aws/sts.js';

/** A response that records what a simulator wrote. */
function response() {
  const out = { status: 0, headers: {} as Record<string, string>, body: '' };
  const res = {
    writeHead: (status: number, headers: Record<string, string> = {}) => ((out.status = status), (out.headers = headers), res),
    end: (body?: string) => ((out.body = body ?? ''), res),
  } as unknown as ServerResponse;
  return { res, out };
}

describe('the Lambda simulator (GetFunctionConfiguration, REST-JSON)', () => {
  const lambda = new LambdaSimulator('us-east-1', 'runner-fleet-control-plane');
  lambda.deploy({ RUNNER_TABLE: 'runner-fleet-runners', AWS_REGION: 'us-east-1' });

  it('describes the function, without the variables Lambda reserves', () => {
    const { res, out } = response();
    lambda.handle(res, '/2015-03-31/functions/runner-fleet-control-plane/configuration');
    expect(out.status).toBe(200);
    expect(JSON.parse(out.body)).toMatchObject({ FunctionName: 'runner-fleet-control-plane', State: 'Active', Environment: { Variables: { RUNNER_TABLE: 'runner-fleet-runners' } } });
    expect(JSON.parse(out.body).Environment.Variables).not.toHaveProperty('AWS_REGION');
  });

  it('answers 404 ResourceNotFoundException for another function, and refuses a name its model refuses', () => {
    const missing = response();
    lambda.handle(missing.res, '/2015-03-31/functions/other/configuration');
    expect([missing.out.status, missing.out.headers['x-amzn-errortype']]).toEqual([404, 'ResourceNotFoundException']);
    const bad = response();
    lambda.handle(bad.res, `/2015-03-31/functions/${'x'.repeat(300)}/configuration`);
    expect([bad.out.status, bad.out.headers['x-amzn-errortype']]).toEqual([400, 'InvalidParameterValueException']);
  });
});

describe('the SQS simulator (GetQueueAttributes, JSON 1.0)', () => {
  const sqs = new SqsSimulator('us-east-1', 'runner-fleet-dead-letter', () => 2);
  const get = (input: Record<string, unknown>) => sqs.service().operations.GetQueueAttributes!(decodeRequest('AmazonSQS', 'GetQueueAttributes', Buffer.from(JSON.stringify(input))));

  it('counts the dead-lettered events as the queue\'s messages', () => {
    sqs.extraMessages.push('{}');
    expect(get({ QueueUrl: sqs.queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] })).toEqual({ Attributes: { ApproximateNumberOfMessages: '3' } });
  });

  it('refuses an attribute name its model does not define, and an unknown queue', () => {
    expect(() => get({ QueueUrl: sqs.queueUrl, AttributeNames: ['Depth'] })).toThrow(/validation error/);
    expect(() => get({ QueueUrl: 'https://sqs.us-east-1.amazonaws.com/000000000000/other', AttributeNames: ['All'] })).toThrow('The specified queue does not exist.');
  });
});

describe('the STS simulator (GetCallerIdentity, query protocol)', () => {
  it('recognises form-encoded query requests only', () => {
    expect(isQueryRequest('application/x-www-form-urlencoded; charset=utf-8', Buffer.from('Action=GetCallerIdentity&Version=2011-06-15'))).toBe(true);
    expect(isQueryRequest('application/json', Buffer.from('{"Action":1}'))).toBe(false);
  });

  it('answers the identity in XML, and refuses another version or action', () => {
    const ok = response();
    handleStsQuery(ok.res, Buffer.from('Action=GetCallerIdentity&Version=2011-06-15'));
    expect(ok.out.status).toBe(200);
    expect(ok.out.body).toContain('<Account>000000000000</Account>');
    const wrong = response();
    handleStsQuery(wrong.res, Buffer.from('Action=AssumeRole&Version=2011-06-15'));
    expect(wrong.out.status).toBe(400);
    expect(wrong.out.body).toContain('<Code>InvalidAction</Code>');
    const unknownParameter = response();
    handleStsQuery(unknownParameter.res, Buffer.from('Action=GetCallerIdentity&Version=2011-06-15&RoleArn=x'));
    expect(unknownParameter.out.body).toContain('<Code>ValidationError</Code>');
  });
});

describe('FilterLogEvents patterns in the logs simulator', () => {
  it('match one JSON property, or every plain term', () => {
    const errors = compileFilterPattern('{ $.level = "ERROR" }');
    expect([errors('{"level":"ERROR"}'), errors('{"level":"WARN"}'), errors('not json')]).toEqual([true, false, false]);
    const terms = compileFilterPattern('dispatch failed');
    expect([terms('dispatch failed: 502'), terms('dispatch ok')]).toEqual([true, false]);
  });

  it('refuse a pattern the sandbox does not understand rather than match it wrongly', () => {
    expect(() => compileFilterPattern('{ $.latency > 5 }')).toThrow(/understands only/);
  });
});
