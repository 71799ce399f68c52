// `npm run test:apply`: apply the seed usage (README's first example) and every example under
// examples/ against moto (tests/moto/launch_moto.py), re-plan (must be "No changes") and destroy.
// Each configuration gets a copy of the module in a temp dir, its own moto on a free port and a
// test-only provider override; the module itself is unchanged. Every terraform step has its own
// log file and timeout. Arguments: names of configurations to run (default: all).
// APPLY_VERBOSE=1 streams terraform's output; APPLY_TF_LOG=DEBUG adds terraform's own log per step;
// APPLY_TIMEOUT_SCALE multiplies every step timeout (slow machines). After each apply, the IAM checks
// (apply-checks/iam-checks.mjs) simulate the control plane's recorded calls (APPLY_CALL_LOG, default
// .artifacts/control-plane-aws-calls.jsonl from npm run test:integration) against the applied policies.
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient, ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import { deepStrictEqual } from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configurations } from './apply-checks/configurations.mjs';
import { DEFAULT_CALL_LOG, iamChecks, readCallLog } from './apply-checks/iam-checks.mjs';
import { describeRequest, motoVersion, recordedRequests, startMoto } from './apply-checks/moto.mjs';
import { StepError, logTail, terraformStep } from './apply-checks/terraform-step.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const REGION = 'eu-west-1';
const scale = Number(process.env.APPLY_TIMEOUT_SCALE || 1);
const TIMEOUTS = { init: 180, apply: 600, show: 120, plan: 300, destroy: 600 };
const verbose = process.env.APPLY_VERBOSE === '1';

// Every service the module and the examples call (grep `resource "aws_` / `data "aws_`), under the
// provider's endpoint names. AWS_ENDPOINT_URL is set too, so a service missed here still reaches moto
// instead of retrying against an unreachable AWS.
const SERVICES = ['apigatewayv2', 'cloudwatch', 'codebuild', 'dynamodb', 'ec2', 'ecr', 'ecs', 'events', 'iam', 'kms', 'lambda', 'logs', 's3', 'sqs', 'ssm', 'sts'];

function providerOverride(endpoint) {
  return `# Written by scripts/terraform-apply-checks.mjs: test-only, points every service at moto.
provider "aws" {
  region                      = "${REGION}"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true

  endpoints {
${SERVICES.map((s) => `    ${s} = "${endpoint}"`).join('\n')}
  }
}
`;
}

// The module as a consumer gets it: the .tf files, modules, runner/ (the image build context) and the
// bundle that ships (lambda/dist/control-plane.zip, built by `npm run test:apply` before this runs).
function copyModule(dest) {
  for (const entry of readdirSync(root)) if (entry.endsWith('.tf')) cpSync(join(root, entry), join(dest, entry));
  cpSync(join(root, 'modules'), join(dest, 'modules'), { recursive: true, filter: (src) => !src.includes('.terraform') });
  cpSync(join(root, 'runner'), join(dest, 'runner'), { recursive: true });
  mkdirSync(join(dest, 'lambda/dist'), { recursive: true });
  const bundle = join(root, 'lambda/dist/control-plane.zip');
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run "npm run build -w lambda" first (npm run test:apply does).`);
  cpSync(bundle, join(dest, 'lambda/dist/control-plane.zip'));
}

function terraformConfig() {
  const candidates = [process.env.TF_PROVIDER_MIRROR, '/opt/tf-plugins', join(homedir(), '.terraform.d/plugins'), join(homedir(), '.local/share/terraform/plugins'), '/usr/local/share/terraform/plugins', '/usr/share/terraform/plugins'].filter(Boolean);
  const mirror = candidates.find((dir) => existsSync(join(dir, 'registry.terraform.io/hashicorp/aws')));
  const cliDir = join(root, '.tfcli');
  mkdirSync(join(cliDir, 'plugin-cache'), { recursive: true });
  const configFile = join(cliDir, 'terraformrc-apply');
  const installation = mirror ? `provider_installation {\n  filesystem_mirror {\n    path    = ${JSON.stringify(mirror)}\n    include = ["registry.terraform.io/hashicorp/*"]\n  }\n}\n` : '';
  writeFileSync(configFile, `# Written by scripts/terraform-apply-checks.mjs\n${installation}plugin_cache_dir = ${JSON.stringify(join(cliDir, 'plugin-cache'))}\n`);
  return configFile;
}

async function check(config, baseEnv, callLog) {
  const work = mkdtempSync(join(tmpdir(), `apply-${config.name}-`));
  const logDir = join(work, 'logs');
  mkdirSync(logDir);
  copyModule(work);
  const dir = config.prepare(work);
  const requestLog = join(logDir, 'moto-requests.jsonl');
  const moto = await startMoto({ root, requestLog, outputFile: join(logDir, 'moto.log') });
  writeFileSync(join(dir, 'moto_override.tf'), providerOverride(moto.endpoint));
  const env = { ...baseEnv, AWS_ENDPOINT_URL: moto.endpoint, AWS_EC2_METADATA_DISABLED: 'true' };
  const times = { name: config.name };
  const step = async (key, args, okCodes) => {
    const result = await terraformStep({ label: `${config.name} ${key}`, args, cwd: dir, env, logDir, timeoutSeconds: TIMEOUTS[key] * scale, okCodes, verbose });
    times[key] = result.seconds;
    console.log(`  ok  ${config.name} ${key} (${result.seconds.toFixed(1)} s)`);
    return result;
  };
  try {
    await step('init', ['init', '-input=false', '-backend=false']);
    await step('apply', ['apply', '-auto-approve', '-input=false']);
    if (config.afterApply) {
      const cliStarted = Date.now();
      await config.afterApply({ dir, env, endpoint: moto.endpoint, log: (line) => console.log(line) });
      times.cli = (Date.now() - cliStarted) / 1000;
    }
    // The applied state (with the IAM policies as AWS holds them) for the least-privilege checks.
    const shown = await step('show', ['show', '-json']);
    writeFileSync(join(logDir, 'state.json'), shown.stdout);
    if (process.env.APPLY_STATE_DIR) cpSync(join(logDir, 'state.json'), join(process.env.APPLY_STATE_DIR, `${config.name}.json`));
    const stream = await checkStreamMapping(JSON.parse(shown.stdout), moto.endpoint);
    console.log(`  ok  ${config.name} stream mapping: ${stream}`);
    const iam = await iamChecks({ state: JSON.parse(shown.stdout), callLog });
    times.iam = iam.rows.reduce((n, row) => n + row.allowed + row.denied, 0);
    console.log(`  ok  ${config.name} IAM: ${iam.rows.map((r) => `${r.role} ${r.allowed} allowed / ${r.denied} denied / ${r.grants} grants all used`).join('; ')} (from ${iam.calls} recorded control-plane calls and ${iam.runnerCalls} of runner tasks)`);
    const plan = await step('plan', ['plan', '-detailed-exitcode', '-input=false'], [0, 2]);
    if (plan.status === 2) throw new StepError(`${config.name} plan: the plan after apply is not "No changes" (a perpetual diff):\n${plan.stdout}`, null);
    await step('destroy', ['destroy', '-auto-approve', '-input=false']);
    times.requests = recordedRequests(requestLog).length;
    await checkRequests(config.name, requestLog);
    rmSync(work, { recursive: true, force: true });
    return times;
  } catch (error) {
    if (error.logFile) console.error(`\n--- last lines of ${error.logFile}\n${logTail(error.logFile)}`);
    const last = recordedRequests(requestLog).slice(-15).map(describeRequest);
    console.error(`--- last ${last.length} requests moto received (all: ${requestLog})\n${last.join('\n')}`);
    console.error(`--- work dir kept: ${work}`);
    throw error;
  } finally {
    moto.stop();
  }
}

function* managedResources(module) {
  for (const resource of module?.resources ?? []) if (resource.mode === 'managed') yield resource;
  for (const child of module?.child_modules ?? []) yield* managedResources(child);
}

/** A pattern as canonical JSON (keys sorted at every level), so two spellings of one pattern compare equal. */
function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  return JSON.stringify(value);
}

// The event source mapping as moto holds it after the apply (ListEventSourceMappings, DescribeTable: what AWS
// would answer, not what the state says), compared with modules/control-plane/stream-mapping.json, the file
// the sandbox loads. moto 5.2.1 stores and returns every field of a DynamoDB stream mapping, FilterCriteria and
// DestinationConfig included, but does not act on them: it invokes the function synchronously on every write to
// the table, whatever the filters say, through Docker (absent here: the write still succeeds and moto logs
// "error running docker" to the function's log group), and sends nothing to the on-failure destination. So the
// settings are checked here; what the filters let through and where failures go is modelled by the sandbox's
// stream (sandbox/src/aws/dynamodb-stream.ts), which loads the same file.
async function checkStreamMapping(state, endpoint) {
  const expected = JSON.parse(readFileSync(join(root, 'modules/control-plane/stream-mapping.json'), 'utf8'));
  const managed = [...managedResources(state.values?.root_module)];
  const only = (type) => {
    const found = managed.filter((r) => r.type === type);
    if (found.length !== 1) throw new StepError(`stream mapping: the applied state has ${found.length} ${type} resources, expected one`, null);
    return found[0].values;
  };
  const fn = only('aws_lambda_function');
  const table = only('aws_dynamodb_table');
  const queue = only('aws_sqs_queue');
  const clientConfig = { region: REGION, endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  const described = (await new DynamoDBClient(clientConfig).send(new DescribeTableCommand({ TableName: table.name }))).Table;
  // Listed by the stream, not by FunctionName: moto 5.2.1 matches FunctionName against the string the mapping
  // was created with (the module passes the function's ARN), where AWS accepts a name or an ARN either way.
  const mappings = (await new LambdaClient(clientConfig).send(new ListEventSourceMappingsCommand({ EventSourceArn: described.LatestStreamArn }))).EventSourceMappings ?? [];
  try {
    deepStrictEqual(described.StreamSpecification, { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' }, 'the runner table streams NEW_IMAGE');
    const names = Object.keys(expected);
    deepStrictEqual(mappings.length, names.length, `the stream of ${table.name} has ${names.length} event source mappings (${names.join(', ')})`);
    const summary = [];
    for (const name of names) {
      const want = expected[name];
      const wantFilters = Object.values(want.filters).map(canonical).sort();
      // Told apart by their filters, which is all that differs between them.
      const m = mappings.find((candidate) => canonical((candidate.FilterCriteria?.Filters ?? []).map((f) => canonical(JSON.parse(f.Pattern))).sort()) === canonical(wantFilters));
      if (!m) throw new Error(`no applied mapping has the filters of stream-mapping.json's ${name}`);
      deepStrictEqual(
        {
          EventSourceArn: m.EventSourceArn,
          FunctionArn: m.FunctionArn,
          State: m.State,
          StartingPosition: m.StartingPosition,
          BatchSize: m.BatchSize,
          // The provider sends no MaximumBatchingWindowInSeconds when it is 0 (AWS's default for DynamoDB streams), so moto
          // has none to return: read as AWS answers it, 0.
          MaximumBatchingWindowInSeconds: m.MaximumBatchingWindowInSeconds ?? 0,
          ParallelizationFactor: m.ParallelizationFactor,
          BisectBatchOnFunctionError: m.BisectBatchOnFunctionError,
          MaximumRetryAttempts: m.MaximumRetryAttempts,
          MaximumRecordAgeInSeconds: m.MaximumRecordAgeInSeconds,
          FunctionResponseTypes: m.FunctionResponseTypes,
          OnFailure: m.DestinationConfig?.OnFailure?.Destination,
        },
        {
          EventSourceArn: described.LatestStreamArn,
          FunctionArn: fn.arn,
          State: 'Enabled',
          StartingPosition: 'TRIM_HORIZON',
          BatchSize: want.batch_size,
          MaximumBatchingWindowInSeconds: want.maximum_batching_window_in_seconds,
          ParallelizationFactor: want.parallelization_factor,
          BisectBatchOnFunctionError: want.bisect_batch_on_function_error,
          MaximumRetryAttempts: want.maximum_retry_attempts,
          MaximumRecordAgeInSeconds: want.maximum_record_age_in_seconds,
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          OnFailure: queue.arn,
        },
        `the applied event source mapping ${name} is stream-mapping.json's`,
      );
      summary.push(`${name}: ${wantFilters.length} filter${wantFilters.length === 1 ? '' : 's'}, batch ${m.BatchSize}, parallelization ${m.ParallelizationFactor}, ${m.MaximumRetryAttempts} retries`);
    }
    return `${summary.join('; ')}; on failure ${queue.name}; as stream-mapping.json`;
  } catch (error) {
    throw new StepError(`stream mapping: ${error.message}`, null);
  }
}

// moto accepts values AWS refuses: every JSON and REST-JSON request the steps made must fit botocore's model.
async function checkRequests(name, requestLog) {
  const tsx = join(root, 'node_modules/.bin/tsx');
  const child = spawn(tsx, [join(root, 'sandbox/src/check-recorded-requests.ts'), requestLog], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const status = await new Promise((resolve) => {
    child.on('error', (error) => resolve(error.message));
    child.on('close', resolve);
  });
  if (status !== 0) throw new StepError(`${name} requests: a request broke its botocore model (or the check could not run, ${status}):\n${out}`, null);
  const { checked, unchecked } = JSON.parse(out);
  const sum = (o) => Object.values(o).reduce((a, b) => a + b, 0);
  console.log(`  ok  ${name} requests: ${sum(checked)} fit botocore's models; not checked: ${Object.entries(unchecked).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`);
}

function table(rows) {
  const cols = ['name', 'init', 'apply', 'cli', 'plan', 'destroy', 'requests', 'iam'];
  const cell = (row, col) => {
    const v = row[col];
    if (v === undefined) return '-';
    return ['name', 'requests', 'iam'].includes(col) ? String(v) : `${v.toFixed(1)} s`;
  };
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r, c).length)));
  const line = (values) => values.map((v, i) => v.padEnd(widths[i])).join('  ');
  return [line(cols), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(cols.map((c) => cell(r, c))))].join('\n');
}

const baseEnv = { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: terraformConfig() };
const only = process.argv.slice(2);
const all = configurations(root);
const unknown = only.filter((name) => !all.some((c) => c.name === name));
if (unknown.length) {
  console.error(`apply checks: no configuration named ${unknown.join(', ')} (known: ${all.map((c) => c.name).join(', ')})`);
  process.exit(2);
}
const rows = [];
const started = Date.now();
try {
  console.log(`moto ${await motoVersion()}; configurations: ${(only.length ? only : all.map((c) => c.name)).join(', ')}`);
  // The control plane's calls, recorded by the integration tests: read first, so a missing log fails before any apply.
  const callLog = readCallLog(process.env.APPLY_CALL_LOG || join(root, DEFAULT_CALL_LOG));
  for (const config of all.filter((c) => only.length === 0 || only.includes(c.name))) rows.push(await check(config, baseEnv, callLog));
} catch (error) {
  console.error(`\napply checks failed: ${error.message}`);
  if (rows.length) console.error(`\n${table(rows)}`);
  process.exit(1);
}
console.log(`\n${table(rows)}\n\napply checks passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
