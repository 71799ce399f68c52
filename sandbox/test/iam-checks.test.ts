import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error -- plain ESM scripts of npm run test:apply, typed by use
import { decide, iamChecks, readCallLog } from '../../scripts/apply-checks/iam-checks.mjs';
import { principalOf, resourceMembers, SETUP_ACCESS_KEY_ID, OPERATOR_ACCESS_KEY_ID } from '../src/aws/call-log.js';

const A = '123456789012';
const R = 'eu-west-1';
const arn = (svc: string, res: string) => `arn:aws:${svc}:${R}:${A}:${res}`;
const role = (name: string) => `arn:aws:iam::${A}:role/${name}`;

type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: string | string[]; Condition?: unknown };

/** Statements that grant exactly what the calls below need (the module's shape, much smaller). */
function neededStatements(): Statement[] {
  return [
    { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${arn('logs', 'log-group:/aws/lambda/fleet')}:*` },
    { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:Query'], Resource: [arn('dynamodb', 'table/fleet'), `${arn('dynamodb', 'table/fleet')}/index/status-index`] },
    { Effect: 'Allow', Action: ['ecs:RunTask'], Resource: arn('ecs', 'task-definition/fleet-runner:*'), Condition: { ArnEquals: { 'ecs:cluster': arn('ecs', 'cluster/fleet') } } },
    { Effect: 'Allow', Action: ['ecs:TagResource'], Resource: arn('ecs', 'task/fleet/*'), Condition: { StringEquals: { 'ecs:CreateAction': 'RunTask' } } },
    { Effect: 'Allow', Action: ['iam:PassRole'], Resource: [role('fleet-exec'), role('fleet-runner')], Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } } },
    { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: arn('sqs', 'fleet-dlq') },
    // The event source mappings read the table's stream with the function's role.
    { Effect: 'Allow', Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'], Resource: `${arn('dynamodb', 'table/fleet')}/stream/2026-01-01T00:00:00.000` },
    { Effect: 'Allow', Action: ['dynamodb:ListStreams'], Resource: '*' },
  ];
}

function state(lambdaStatements: Statement[], envOverrides: Record<string, string> = {}) {
  const resource = (type: string, values: Record<string, unknown>) => ({ mode: 'managed', type, address: `${type}.x`, values });
  return {
    values: {
      root_module: {
        resources: [
          resource('aws_lambda_function', {
            arn: `arn:aws:lambda:${R}:${A}:function:fleet`,
            function_name: 'fleet',
            role: role('fleet-control-plane'),
            environment: [{ variables: { RUNNER_TABLE: 'fleet', CLASS_SIZES_PARAM: '/fleet/classes', GITHUB_AUTH_PARAM: '/fleet/github', WEBHOOK_SECRET_PARAM: '/fleet/secret', EVENT_BUS_NAME: 'fleet', ECS_CLUSTER: 'fleet', RUNNER_TASK_DEFINITION: 'fleet-runner', ECR_REPOSITORY_URL: `${A}.dkr.ecr.${R}.amazonaws.com/fleet`, ...envOverrides } }],
            logging_config: [{ log_group: '/aws/lambda/fleet' }],
          }),
          resource('aws_ecs_task_definition', {
            family: 'fleet-runner',
            execution_role_arn: role('fleet-exec'),
            task_role_arn: role('fleet-runner'),
            container_definitions: JSON.stringify([{ name: 'runner', logConfiguration: { options: { 'awslogs-group': '/ecs/fleet' } } }]),
          }),
          ...['fleet-control-plane', 'fleet-exec', 'fleet-runner'].map((name) => resource('aws_iam_role', { arn: role(name), name })),
          resource('aws_iam_role_policy', { role: 'fleet-control-plane', name: 'control-plane', policy: JSON.stringify({ Version: '2012-10-17', Statement: lambdaStatements }) }),
          resource('aws_iam_role_policy', {
            role: 'fleet-exec',
            name: 'pull',
            policy: JSON.stringify({
              Version: '2012-10-17',
              Statement: [
                { Effect: 'Allow', Action: ['ecr:GetAuthorizationToken'], Resource: '*' },
                { Effect: 'Allow', Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'], Resource: arn('ecr', 'repository/fleet') },
                { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${arn('logs', 'log-group:/ecs/fleet')}:*` },
              ],
            }),
          }),
          resource('aws_cloudwatch_log_group', { arn: arn('logs', 'log-group:/aws/lambda/fleet'), name: '/aws/lambda/fleet' }),
          resource('aws_cloudwatch_log_group', { arn: arn('logs', 'log-group:/ecs/fleet'), name: '/ecs/fleet' }),
          resource('aws_dynamodb_table', { arn: arn('dynamodb', 'table/fleet'), name: 'fleet', stream_enabled: true, stream_arn: `${arn('dynamodb', 'table/fleet')}/stream/2026-01-01T00:00:00.000` }),
          ...['/fleet/classes', '/fleet/github', '/fleet/secret'].map((name) => resource('aws_ssm_parameter', { arn: arn('ssm', `parameter${name}`), name, type: 'SecureString' })),
          resource('aws_cloudwatch_event_bus', { arn: arn('events', 'event-bus/fleet'), name: 'fleet' }),
          resource('aws_ecs_cluster', { arn: arn('ecs', 'cluster/fleet'), name: 'fleet' }),
          resource('aws_ecr_repository', { arn: arn('ecr', 'repository/fleet'), name: 'fleet', repository_url: `${A}.dkr.ecr.${R}.amazonaws.com/fleet` }),
          resource('aws_sqs_queue', { arn: arn('sqs', 'fleet-dlq'), name: 'fleet-dlq' }),
        ],
      },
    },
  };
}

/** A call log as the sandbox writes it: its own names (DESIGN §7 defaults), different from the deployment's. */
function callLog(extraCalls: Array<Record<string, unknown>> = []) {
  const dir = mkdtempSync(join(tmpdir(), 'iam-checks-'));
  const file = join(dir, 'calls.jsonl');
  const sandbox = { type: 'sandbox', sandbox: 's1', region: 'us-east-1', account: '000000000000', controlPlaneEnv: { RUNNER_TABLE: 'runner-fleet-runners', ECS_CLUSTER: 'runner-fleet', RUNNER_TASK_DEFINITION: 'runner-fleet-runner', EVENT_BUS_NAME: 'runner-fleet', ECR_REPOSITORY_URL: '0.dkr.ecr.us-east-1.amazonaws.com/runner-fleet-runner' } };
  const call = (service: string, operation: string, resources: Record<string, unknown>, principal = 'control-plane') => ({ type: 'call', sandbox: 's1', service, operation, principal, resources });
  const lines = [
    sandbox,
    call('DynamoDB', 'GetItem', { TableName: 'runner-fleet-runners' }),
    call('DynamoDB', 'Query', { TableName: 'runner-fleet-runners', IndexName: 'status-index' }),
    call('ECS', 'RunTask', { cluster: 'runner-fleet', taskDefinition: 'runner-fleet-runner', tags: true }),
    // Not the control plane's: never checked against its role.
    call('DynamoDB', 'Scan', { TableName: 'runner-fleet-runners' }, 'operator'),
    ...extraCalls.map((c) => ({ type: 'call', sandbox: 's1', principal: 'control-plane', ...c })),
  ];
  writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  return readCallLog(file);
}

describe('IAM checks of recorded calls against applied policies', () => {
  it('pass when the policy grants exactly what the recorded and service calls need', async () => {
    const result = await iamChecks({ state: state(neededStatements()), callLog: callLog() });
    expect(result.calls).toBe(3);
    expect(result.rows.find((r: { role: string }) => r.role === 'fleet-control-plane')).toMatchObject({ grants: 12, denied: expect.any(Number) });
  });

  it('name a recorded call the policy does not allow', async () => {
    const withoutQuery = neededStatements().map((s) => (Array.isArray(s.Action) && s.Action.includes('dynamodb:Query') ? { ...s, Action: ['dynamodb:GetItem'] } : s));
    await expect(iamChecks({ state: state(withoutQuery), callLog: callLog() })).rejects.toThrow(/cannot dynamodb:Query on arn:aws:dynamodb:eu-west-1:123456789012:table\/fleet\/index\/status-index.*DynamoDB\.Query/);
  });

  it('name a permission RunTask implies (passing the task roles) when it is missing', async () => {
    const withoutPassRole = neededStatements().filter((s) => s.Action !== 'iam:PassRole' && !(Array.isArray(s.Action) && s.Action.includes('iam:PassRole')));
    await expect(iamChecks({ state: state(withoutPassRole), callLog: callLog() })).rejects.toThrow(/cannot iam:PassRole on arn:aws:iam::123456789012:role\/fleet-exec/);
  });

  it('name a grant no call needs', async () => {
    const withScan = [...neededStatements(), { Effect: 'Allow', Action: ['dynamodb:Scan'], Resource: arn('dynamodb', 'table/fleet') }];
    await expect(iamChecks({ state: state(withScan), callLog: callLog() })).rejects.toThrow(/is granted dynamodb:scan, which none of its recorded or service calls needs/);
  });

  it('name a must-deny sample a broad policy allows', async () => {
    const broad = neededStatements().map((s) => (Array.isArray(s.Action) && s.Action.includes('dynamodb:GetItem') ? { ...s, Resource: '*' } : s));
    await expect(iamChecks({ state: state(broad), callLog: callLog() })).rejects.toThrow(/may dynamodb:GetItem on arn:aws:dynamodb:eu-west-1:123456789012:table\/someone-elses-table/);
  });

  it('refuse a deployment whose Lambda environment names a table the module did not create', async () => {
    await expect(iamChecks({ state: state(neededStatements(), { RUNNER_TABLE: 'typo-table' }), callLog: callLog() })).rejects.toThrow(/0 aws_dynamodb_table resources where the IAM checks expect the RUNNER_TABLE typo-table/);
  });

  it('refuse a recorded call on a resource that is none of the fleet\'s', async () => {
    const log = callLog([{ service: 'DynamoDB', operation: 'GetItem', resources: { TableName: 'another-table' } }]);
    await expect(iamChecks({ state: state(neededStatements()), callLog: log })).rejects.toThrow(/DynamoDB\.GetItem on table "another-table", which is none of the fleet's resources/);
  });

  it('refuse an operation it has no IAM mapping for, rather than skip it', async () => {
    const log = callLog([{ service: 'ECS', operation: 'DeleteCluster', resources: { cluster: 'runner-fleet' } }]);
    await expect(iamChecks({ state: state(neededStatements()), callLog: log })).rejects.toThrow(/do not know which permission ECS\.DeleteCluster needs/);
  });

  it('fail when the log holds no control-plane call', () => {
    const dir = mkdtempSync(join(tmpdir(), 'iam-checks-'));
    writeFileSync(join(dir, 'empty.jsonl'), '');
    expect(() => readCallLog(join(dir, 'empty.jsonl'))).toThrow(/holds no call of the control plane/);
    expect(() => readCallLog(join(dir, 'missing.jsonl'))).toThrow(/npm run test:integration/);
  });
});

describe('conditions on the KMS encryption context', () => {
  const key = arn('kms', 'key/00000000-0000-0000-0000-000000000001');
  const jitArn = arn('ssm', 'parameter/fleet/jit/fleet-1/0123');
  const role = {
    session: `arn:aws:sts::${A}:assumed-role/fleet-runner/s`,
    policies: [{ name: 'jit', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: key, Condition: { StringEquals: { 'kms:ViaService': `ssm.${R}.amazonaws.com` }, StringLike: { 'kms:EncryptionContext:PARAMETER_ARN': arn('ssm', 'parameter/fleet/jit/*') } } }] } }],
  };
  // KMS asks the key policy first: AWS's default one lets the account's IAM policies decide.
  const keyPolicy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${A}:root` }, Action: 'kms:*', Resource: '*' }] };
  const deployment = { account: A, queue: { arn: arn('sqs', 'q') }, key: { arn: key, policy: keyPolicy } };
  const decrypt = (parameterArn: string) => ({ action: 'kms:Decrypt', resource: key, context: { 'kms:ViaService': `ssm.${R}.amazonaws.com`, 'kms:EncryptionContext:PARAMETER_ARN': parameterArn } });

  it('are evaluated (the simulator alone would never match them)', async () => {
    expect(await decide(role, decrypt(jitArn), deployment)).toBe('Allowed');
    expect(await decide(role, decrypt(arn('ssm', 'parameter/fleet/github-auth')), deployment)).toBe('ImplicitlyDenied');
    expect(await decide(role, { ...decrypt(jitArn), context: { 'kms:ViaService': `ssm.${R}.amazonaws.com` } }, deployment)).toBe('ImplicitlyDenied');
  });
});

describe('the sandbox call log', () => {
  it('keeps the members that name resources and drops values', () => {
    const kept = resourceMembers({
      TableName: 'runner-fleet-runners',
      Item: { runnerId: { S: 'secret-ish' } },
      Name: '/runner-fleet/github-auth',
      Value: 'ghp_secret',
      cluster: 'runner-fleet',
      overrides: { containerOverrides: [{ environment: [{ name: 'RUNNER_JITCONFIG', value: 'jit' }] }] },
      tags: [{ key: 'a', value: 'b' }],
      Entries: [{ EventBusName: 'runner-fleet', Detail: '{}' }, { Detail: '{}' }],
    });
    expect(kept).toEqual({ TableName: 'runner-fleet-runners', Name: '/runner-fleet/github-auth', cluster: 'runner-fleet', tags: true, EventBusNames: ['runner-fleet', 'default'] });
  });

  it('tells the control plane from the sandbox and the operator by access key id', () => {
    const auth = (key: string) => `AWS4-HMAC-SHA256 Credential=${key}/20261204/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=abc`;
    expect(principalOf(auth('lambda-key'), 'lambda-key')).toBe('control-plane');
    expect(principalOf(auth(SETUP_ACCESS_KEY_ID), 'lambda-key')).toBe('sandbox-setup');
    expect(principalOf(auth(OPERATOR_ACCESS_KEY_ID), 'lambda-key')).toBe('operator');
    expect(principalOf(auth('x'), 'lambda-key')).toBe('other');
    expect(principalOf(undefined, undefined)).toBe('other');
  });
});
