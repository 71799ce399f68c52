import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MODELED_SERVICES, loadServiceModel, modelForTargetPrefix } from '../src/aws/aws-models.js';
import { modelViolations, validateRequest } from '../src/aws/model-validation.js';
import { AwsError, decodeRequest } from '../src/aws/protocol.js';

const root = new URL('../../', import.meta.url).pathname;
const ecs = loadServiceModel('ecs');

function errorOf(run: () => void): AwsError {
  try {
    run();
  } catch (error) {
    if (error instanceof AwsError) return error;
    throw error;
  }
  throw new Error('expected the request to be refused');
}

/** botocore service name of each @aws-sdk client package the project imports. */
const CLIENT_SERVICE: Record<string, string> = {
  'client-ecs': 'ecs',
  'client-ssm': 'ssm',
  'client-eventbridge': 'events',
  'client-cloudwatch-logs': 'logs',
  'client-ecr': 'ecr',
  'client-codebuild': 'codebuild',
  // The doctor's reads.
  'client-lambda': 'lambda',
  'client-sqs': 'sqs',
  'client-sts': 'sts',
  // DynamoDB is answered by dynalite, a real implementation, not by a modeled simulator.
  'client-dynamodb': 'dynamodb',
  'lib-dynamodb': 'dynamodb',
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist') return [];
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Every `new XCommand(` in the project's sources, with the service of the client package it came from. */
function operationsTheProjectCalls(): { service: string; operation: string; file: string }[] {
  const calls: { service: string; operation: string; file: string }[] = [];
  for (const file of ['lambda/src', 'cli/src', 'core/src', 'sandbox/src'].flatMap((dir) => sourceFiles(join(root, dir)))) {
    const text = readFileSync(file, 'utf8');
    // The command's package: the @aws-sdk package the file mentions (import or lazy import()) that defines it.
    const packages = [...new Set([...text.matchAll(/'@aws-sdk\/([a-z0-9-]+)'/g)].map((m) => m[1]!))];
    for (const match of text.matchAll(/new ([A-Z][A-Za-z0-9]*)Command\(/g)) {
      const pkg = packages.find((name) => existsSync(join(root, 'node_modules/@aws-sdk', name, 'dist-types/commands', `${match[1]}Command.d.ts`)));
      calls.push({ service: pkg ? (CLIENT_SERVICE[pkg] ?? pkg) : 'unknown', operation: match[1]!, file: file.slice(root.length) });
    }
  }
  return calls;
}

describe('the AWS operations the project calls', () => {
  const calls = operationsTheProjectCalls();

  it('are found in the sources (the scan itself works)', () => {
    expect(calls.map((c) => `${c.service}.${c.operation}`)).toEqual(expect.arrayContaining(['ecs.RunTask', 'ecs.ListTasks', 'ssm.GetParameter', 'events.PutEvents', 'codebuild.StartBuild']));
  });

  it('each come from a known client package', () => {
    expect(calls.filter((c) => c.service === 'unknown' || !Object.values(CLIENT_SERVICE).includes(c.service))).toEqual([]);
  });

  it('each have a vendored model the simulator validates requests with (DynamoDB aside: dynalite is real)', () => {
    const unmodeled = calls.filter((c) => c.service !== 'dynamodb').filter((c) => !loadServiceModel(c.service as (typeof MODELED_SERVICES)[number]).operations[c.operation]?.input);
    expect(unmodeled).toEqual([]);
  });
});

describe('the simulators', () => {
  it('answer only operations that have a vendored model (the same one their target prefix selects)', async () => {
    const [{ EcsSimulator }, { SsmSimulator }, { EventBridgeSimulator }, { LogsSimulator }, { EcrSimulator }, { CodeBuildSimulator }, { SqsSimulator }] = await Promise.all([
      import('../src/aws/ecs.js'),
      import('../src/aws/ssm.js'),
      import('../src/aws/eventbridge.js'),
      import('../src/aws/logs.js'),
      import('../src/aws/ecr.js'),
      import('../src/aws/codebuild.js'),
      import('../src/aws/sqs.js'),
    ]);
    const bus = new EventBridgeSimulator('eu-west-1', { maxAttempts: 1, retryBaseMs: 1 });
    const ecr = new EcrSimulator();
    const services = [new EcsSimulator('eu-west-1', bus, { taskStartMs: 1 }), new SsmSimulator('eu-west-1'), bus, new LogsSimulator(), ecr, new CodeBuildSimulator('eu-west-1', bus, ecr, 'runner', 1), new SqsSimulator('eu-west-1', 'dlq', () => 0)].map((sim) => sim.service());
    const unmodeled = services.flatMap((service) => Object.keys(service.operations).filter((operation) => !modelForTargetPrefix(service.targetPrefix)?.operations[operation]?.input).map((operation) => `${service.targetPrefix}.${operation}`));
    // Lambda (REST-JSON) and STS (query) have no target prefix: their simulators validate with their models by name.
    const jsonServices = MODELED_SERVICES.filter((service) => loadServiceModel(service).targetPrefix);
    expect(services).toHaveLength(jsonServices.length);
    expect(unmodeled).toEqual([]);
    expect([loadServiceModel('lambda').operations.GetFunctionConfiguration?.input, loadServiceModel('sts').operations.GetCallerIdentity?.input]).toEqual(['GetFunctionConfigurationRequest', 'GetCallerIdentityRequest']);
  });
});

describe('request validation against the model', () => {
  it('accepts a well-formed ListTasks with startedBy alone', () => {
    expect(() => validateRequest(ecs, 'ListTasks', { cluster: 'fleet', startedBy: 'runner-fleet' })).not.toThrow();
  });

  it('refuses a missing required member with the service validation error and AWS wording', () => {
    const error = errorOf(() => validateRequest(ecs, 'RunTask', { cluster: 'fleet' }));
    expect(error.code).toBe('InvalidParameterException');
    expect(error.statusCode).toBe(400);
    expect(error.message).toBe("1 validation error detected: Value null at 'taskDefinition' failed to satisfy constraint: Member must not be null");
  });

  it('refuses a value outside an enum', () => {
    const error = errorOf(() => validateRequest(ecs, 'ListTasks', { desiredStatus: 'RUNNINGISH' }));
    expect(error.message).toContain("Value 'RUNNINGISH' at 'desiredStatus' failed to satisfy constraint: Member must satisfy enum value set: [RUNNING, PENDING, STOPPED]");
  });

  it('refuses a string longer than the model max', () => {
    const ssm = loadServiceModel('ssm');
    const error = errorOf(() => validateRequest(ssm, 'GetParameter', { Name: 'x'.repeat(2049) }));
    expect(error.code).toBe('ValidationException');
    expect(error.message).toContain("at 'Name' failed to satisfy constraint: Member must have length less than or equal to 2048");
  });

  it('refuses a number out of range and a list too long', () => {
    const logs = loadServiceModel('logs');
    expect(modelViolations(logs, 'GetLogEvents', { logStreamName: 's', limit: 0 })).toEqual(["Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"]);
    const events = Array.from({ length: 10_001 }, (_, i) => ({ timestamp: i, message: 'm' }));
    expect(modelViolations(logs, 'PutLogEvents', { logGroupName: 'g', logStreamName: 's', logEvents: events })).toEqual([expect.stringContaining("at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to 10000")]);
  });

  it('refuses wrong JSON types and unknown members, nested ones included', () => {
    expect(modelViolations(ecs, 'RunTask', { taskDefinition: 7 })).toEqual(["Value '7' at 'taskDefinition' failed to satisfy constraint: Member must be a string"]);
    expect(modelViolations(ecs, 'RunTask', { taskDefinition: 'td', overrides: { containerOverride: [] } })).toEqual([expect.stringContaining("Unknown member 'overrides.containerOverride'")]);
    expect(modelViolations(ecs, 'RunTask', { taskDefinition: 'td', overrides: { containerOverrides: [{ name: 'runner', environment: [{ name: 'A', valu: 'b' }] }] } })).toEqual([
      expect.stringContaining("Unknown member 'overrides.containerOverrides.1.member.environment.1.member.valu'"),
    ]);
  });

  it('refuses ListTasks with startedBy and another filter, as its documentation says', () => {
    const error = errorOf(() => validateRequest(ecs, 'ListTasks', { cluster: 'fleet', startedBy: 'runner-fleet', desiredStatus: 'RUNNING' }));
    expect(error.code).toBe('InvalidParameterException');
    expect(error.message).toContain('startedBy must be the only filter (with cluster), but desiredStatus was also given');
  });

  it('refuses a pattern violation', () => {
    const events = loadServiceModel('events');
    expect(modelViolations(events, 'PutRule', { Name: 'bad name!' })).toEqual([expect.stringContaining("at 'Name' failed to satisfy constraint: Member must satisfy regular expression pattern")]);
  });

  it('decodes the wire body, refusing malformed JSON and non-objects', () => {
    expect(decodeRequest('AmazonSSM', 'GetParameter', Buffer.from('{"Name":"/x"}'))).toEqual({ Name: '/x' });
    expect(errorOf(() => decodeRequest('AmazonSSM', 'GetParameter', Buffer.from('{'))).code).toBe('SerializationException');
    expect(errorOf(() => decodeRequest('AmazonSSM', 'GetParameter', Buffer.from('[]'))).code).toBe('SerializationException');
    expect(errorOf(() => decodeRequest('AmazonSSM', 'GetParameter', Buffer.from('{}'))).code).toBe('ValidationException');
  });
});
