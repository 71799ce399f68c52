#!/usr/bin/env node
/**
 * Extracts, from botocore's service models, the input shapes of the AWS operations the sandbox
 * simulates, into compact committed JSON (sandbox/models/aws/<service>.json). The simulators
 * validate every request against these, so a fresh machine needs neither python nor botocore.
 *
 *   node scripts/vendor-aws-models.mjs          write the files
 *   node scripts/vendor-aws-models.mjs --check  exit 1 if a committed file differs from botocore
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const OUT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'sandbox', 'models', 'aws');

/** botocore service name → the operations the sandbox's simulator of it answers. */
export const SIMULATED_OPERATIONS = {
  ecs: ['CreateCluster', 'ListClusters', 'DescribeClusters', 'RegisterTaskDefinition', 'DescribeTaskDefinition', 'RunTask', 'DescribeTasks', 'ListTasks', 'StopTask'],
  ssm: ['PutParameter', 'GetParameter', 'GetParameters', 'GetParametersByPath', 'DeleteParameter', 'DeleteParameters'],
  events: ['CreateEventBus', 'ListEventBuses', 'PutRule', 'PutTargets', 'PutEvents'],
  logs: ['CreateLogGroup', 'CreateLogStream', 'PutLogEvents', 'DescribeLogStreams', 'GetLogEvents', 'FilterLogEvents'],
  ecr: ['DescribeImages'],
  codebuild: ['StartBuild', 'BatchGetBuilds'],
  // What ecsrunner doctor reads.
  lambda: ['GetFunctionConfiguration'],
  sqs: ['GetQueueAttributes'],
  sts: ['GetCallerIdentity'],
  // Not served: the sandbox's stream simulator checks the records it delivers against GetRecords' Record.
  dynamodbstreams: [],
  // dynalite is real DynamoDB but has no transactions: the sandbox's front adds TransactWriteItems (aws/dynamodb.ts).
  dynamodb: ['TransactWriteItems'],
};

/** Operations whose output shapes are vendored too: records a simulator produces are checked against them. */
export const VALIDATED_OUTPUTS = { dynamodbstreams: ['GetRecords'] };

/** The error code each service answers a request that breaks its model with (a modeled one where the service has it). */
const VALIDATION_ERROR_PREFERENCE = ['ValidationException', 'InvalidParameterException', 'InvalidInputException'];
const SERVICE_VALIDATION_ERROR = { ecs: 'InvalidParameterException', logs: 'InvalidParameterException', ecr: 'InvalidParameterException', codebuild: 'InvalidInputException', lambda: 'InvalidParameterValueException', sts: 'ValidationError' };

const KEPT_FIELDS = ['type', 'required', 'enum', 'min', 'max', 'pattern', 'member', 'key', 'value'];

export function botocoreData() {
  if (process.env.BOTOCORE_DATA) return { dir: process.env.BOTOCORE_DATA, version: process.env.BOTOCORE_VERSION ?? 'unknown' };
  try {
    const [dir, version] = execFileSync('python3', ['-c', 'import botocore,os;print(os.path.dirname(botocore.__file__));print(botocore.__version__)'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n');
    return { dir: join(dir, 'data'), version };
  } catch {
    return undefined;
  }
}

/** The full service-2.json of a botocore service, at its newest API version. */
export function loadServiceModel(dataDir, service) {
  const versions = readdirSync(join(dataDir, service)).filter((v) => existsSync(join(dataDir, service, v, 'service-2.json.gz'))).sort();
  const latest = versions.at(-1);
  if (!latest) throw new Error(`botocore has no model for ${service} in ${dataDir}`);
  return JSON.parse(gunzipSync(readFileSync(join(dataDir, service, latest, 'service-2.json.gz'))).toString('utf8'));
}

function trimShape(shape) {
  const out = {};
  for (const field of KEPT_FIELDS) if (shape[field] !== undefined) out[field] = field === 'member' || field === 'key' || field === 'value' ? { shape: shape[field].shape } : shape[field];
  if (shape.members) out.members = Object.fromEntries(Object.entries(shape.members).map(([name, ref]) => [name, { shape: ref.shape }]));
  return out;
}

export function extractModel(model, service, operations, botocoreVersion) {
  const shapes = {};
  const visit = (name) => {
    if (shapes[name]) return;
    const shape = model.shapes[name];
    if (!shape) throw new Error(`${service}: shape ${name} is not in the model`);
    shapes[name] = trimShape(shape);
    for (const ref of [...Object.values(shape.members ?? {}), shape.member, shape.key, shape.value]) if (ref) visit(ref.shape);
  };
  const ops = {};
  for (const op of operations) {
    const definition = model.operations[op];
    if (!definition) throw new Error(`${service}: operation ${op} is not in the model`);
    ops[op] = { input: definition.input?.shape };
    if (definition.input) visit(definition.input.shape);
  }
  for (const op of VALIDATED_OUTPUTS[service] ?? []) {
    const definition = model.operations[op];
    if (!definition?.output) throw new Error(`${service}: operation ${op} has no output in the model`);
    ops[op] = { ...ops[op], output: definition.output.shape };
    visit(definition.output.shape);
  }
  const validationError = SERVICE_VALIDATION_ERROR[service] ?? VALIDATION_ERROR_PREFERENCE.find((code) => model.shapes[code]) ?? 'ValidationException';
  return {
    source: `botocore ${botocoreVersion}, data/${service}/${model.metadata.apiVersion}/service-2.json.gz`,
    service,
    apiVersion: model.metadata.apiVersion,
    protocol: model.metadata.protocol,
    targetPrefix: model.metadata.targetPrefix,
    validationError,
    operations: ops,
    shapes: Object.fromEntries(Object.entries(shapes).sort(([a], [b]) => a.localeCompare(b))),
  };
}

export function deriveAll(data) {
  return Object.fromEntries(Object.entries(SIMULATED_OPERATIONS).map(([service, operations]) => [service, `${JSON.stringify(extractModel(loadServiceModel(data.dir, service), service, operations, data.version), null, 1)}\n`]));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const data = botocoreData();
  if (!data) {
    console.error('botocore is not installed (pip install botocore), or set BOTOCORE_DATA to its data directory');
    process.exit(2);
  }
  const check = process.argv.includes('--check');
  let drift = false;
  for (const [service, text] of Object.entries(deriveAll(data))) {
    const file = join(OUT_DIR, `${service}.json`);
    if (check) {
      if (!existsSync(file) || readFileSync(file, 'utf8') !== text) {
        console.error(`${file} differs from botocore ${data.version}; run node scripts/vendor-aws-models.mjs`);
        drift = true;
      }
    } else {
      writeFileSync(file, text);
      console.log(`wrote ${file}`);
    }
  }
  process.exit(drift ? 1 : 0);
}
