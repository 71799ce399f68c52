// After the seed apply: the operator CLI (cli/bin/run.js, built by `npm run build -w cli`) against
// the applied resources in moto, as an operator would run it after `eval "$(terraform output -raw
// cli_environment)"`. The SDK v3 clients reach moto through AWS_ENDPOINT_URL.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeTasksCommand, ECSClient } from '@aws-sdk/client-ecs';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { deepStrictEqual, equal, match, ok } from 'node:assert/strict';

const COMMAND_TIMEOUT_MS = 120_000;
// As cli/bin/run.js does: the SDK's notice that it will need Node.js 22 from 2027 is said once in the README.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

function run(command, args, { cwd, env }) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

/** The `export NAME=value` lines of the cli_environment output, as an object. */
export function parseExports(text) {
  const vars = {};
  for (const line of text.split('\n')) {
    const m = /^export ([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) vars[m[1]] = m[2];
  }
  return vars;
}

export async function cliChecks({ root, dir, env, endpoint, log }) {
  const cli = join(root, 'cli/bin/run.js');
  if (!existsSync(join(root, 'cli/dist/index.js'))) throw new Error('cli checks: cli/dist is missing; run "npm run build -w cli" first (npm run test:apply does)');
  const output = await run('terraform', ['output', '-raw', 'cli_environment'], { cwd: dir, env });
  if (output.status !== 0) throw new Error(`cli checks: terraform output -raw cli_environment exited ${output.status}:\n${output.stderr}`);
  const exported = parseExports(output.stdout);
  for (const name of ['AWS_REGION', 'RUNNER_TABLE', 'CLASS_SIZES_PARAM']) ok(exported[name], `cli_environment exports ${name}`);

  const { AWS_PROFILE: _profile, ...rest } = env;
  const cliEnv = { ...rest, ...exported, AWS_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', NO_COLOR: '1' };
  const invoke = async (expectedStatus, args) => {
    const out = await run(process.execPath, [cli, ...args], { cwd: root, env: cliEnv });
    if (out.status !== expectedStatus) throw new Error(`cli checks: "ecsrunner ${args.join(' ')}" exited ${out.status ?? out.signal}, expected ${expectedStatus}:\n${out.stdout}${out.stderr}`);
    log(`  ok  ecsrunner ${args.join(' ')}${expectedStatus ? ` (exit ${expectedStatus})` : ''}`);
    return expectedStatus === 0 ? out.stdout : out.stdout + out.stderr;
  };
  const ecsrunner = (...args) => invoke(0, args);
  ecsrunner.expecting = (status, ...args) => invoke(status, args);

  const sizes = JSON.parse(await ecsrunner('list-class-sizes', '--json'));
  equal(sizes.parameter, exported.CLASS_SIZES_PARAM);
  deepStrictEqual(
    sizes.classes.map((c) => [c.name, c.cpu, c.memory, c.spot]),
    [
      ['small', 512, 1024, false],
      ['medium', 1024, 2048, false],
      ['large', 2048, 4096, false],
    ],
    'list-class-sizes shows the three classes of the seed with their Fargate sizes',
  );
  match(await ecsrunner('list-class-sizes'), /small\s+0\.5\s+1\s+no/);

  const empty = JSON.parse(await ecsrunner('runners', 'list', '--json'));
  deepStrictEqual([empty.count, empty.runners], [0, []], 'a new fleet lists no runners');

  // A runner as the control plane leaves it once its job runs: a task in ECS and a busy record
  // (DESIGN §4) in the applied table.
  const runnerId = 'runner-fleet-4242';
  const cluster = await run('terraform', ['output', '-raw', 'ecs_cluster_name'], { cwd: dir, env });
  const task = await run('python3', [join(root, 'tests/moto/start_runner_task.py'), endpoint, exported.AWS_REGION, cluster.stdout.trim(), runnerId], { cwd: root, env });
  if (task.status !== 0) throw new Error(`cli checks: tests/moto/start_runner_task.py exited ${task.status}:\n${task.stdout}${task.stderr}`);
  const { taskArn } = JSON.parse(task.stdout);
  const now = new Date().toISOString();
  const record = {
    runnerId,
    status: 'busy',
    repo: 'octo-org/octo-repo',
    jobId: 4242,
    runId: 77,
    runAttempt: 1,
    labels: ['self-hosted', 'class:medium'],
    runnerClass: 'medium',
    cpu: 1024,
    memory: 2048,
    taskArn,
    createdAt: now,
    updatedAt: now,
    version: 3,
  };
  const clientConfig = { region: exported.AWS_REGION, endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig));
  const ecs = new ECSClient(clientConfig);
  try {
    await doc.send(new PutCommand({ TableName: exported.RUNNER_TABLE, Item: record }));

    const listed = JSON.parse(await ecsrunner('runners', 'list', '--json'));
    equal(listed.count, 1, 'runners list shows the record put into the table');
    deepStrictEqual(listed.runners[0], record);
    const busy = JSON.parse(await ecsrunner('runners', 'list', '--status', 'busy', '--json'));
    deepStrictEqual(busy.runners.map((r) => r.runnerId), [runnerId], 'the status index finds the busy runner');
    const taskId = taskArn.split('/').pop();
    match(await ecsrunner('runners', 'list'), new RegExp(`${runnerId}\\s+busy\\s+medium\\s+octo-org/octo-repo\\s+4242\\s+\\S+\\s+${taskId}`));

    const terminated = JSON.parse(await ecsrunner('runners', 'terminate', runnerId, '--yes', '--reason', 'apply check', '--json'));
    deepStrictEqual(terminated, { runnerId, previousStatus: 'busy', status: 'terminated', statusReason: 'apply check', taskStopped: true });
    const stored = (await doc.send(new GetCommand({ TableName: exported.RUNNER_TABLE, Key: { runnerId } }))).Item;
    deepStrictEqual([stored.status, stored.statusReason], ['terminated', 'apply check'], 'the record is terminated');
    const described = (await ecs.send(new DescribeTasksCommand({ cluster: cluster.stdout.trim(), tasks: [taskArn] }))).tasks?.[0];
    equal(described?.desiredStatus, 'STOPPED', 'the task was stopped');
    match(described.stoppedReason ?? '', /apply check/);
    const again = await ecsrunner.expecting(7, 'runners', 'terminate', runnerId, '--yes');
    match(again, /already finished \(terminated/);

    // What the fleet cost: a finished runner with the billing facts the control plane records
    // (10 minutes of 1 vCPU / 2 GB on x86 Fargate), priced at the default us-east-1 list prices.
    const started = new Date(Date.now() - 20 * 60_000).toISOString();
    const ended = new Date(Date.parse(started) + 10 * 60_000).toISOString();
    await doc.send(
      new PutCommand({
        TableName: exported.RUNNER_TABLE,
        Item: { ...record, runnerId: 'runner-fleet-4243', jobId: 4243, status: 'completed', conclusion: 'success', createdAt: started, updatedAt: ended, finishedAt: ended, architecture: 'X86_64', capacityProvider: 'FARGATE', billingStartedAt: started, billingEndedAt: ended },
      }),
    );
    const cost = JSON.parse(await ecsrunner('cost', '--since', '1d', '--json'));
    const expectedUsd = (10 / 60) * (1 * 0.04048 + 2 * 0.004445);
    ok(Math.abs(cost.total.fargateUsd - expectedUsd) < 5e-7, `cost prices 10 minutes of 1 vCPU / 2 GB at $${expectedUsd.toFixed(6)} (got ${cost.total.fargateUsd})`);
    deepStrictEqual([cost.total.runners, cost.total.billedMinutes, cost.withoutBillingFacts], [1, 10, 1], 'cost bills the finished runner and counts the terminated one without billing facts');
    ok(cost.requests <= 10, `cost read the window with ${cost.requests} index queries`);
    match(await ecsrunner('cost', '--since', '1d'), /octo-org\/octo-repo/);

    // The doctor on the applied deployment, found from ECSRUNNER_FLEET alone (the descriptor
    // Terraform wrote): every AWS-side check passes; the GitHub ones cannot (no github.com here).
    const { RUNNER_TABLE: _t, CLASS_SIZES_PARAM: _c, ...fleetOnly } = cliEnv;
    ok(fleetOnly.ECSRUNNER_FLEET, 'cli_environment exports ECSRUNNER_FLEET');
    const doctorRun = await run(process.execPath, [cli, 'doctor', '--json'], { cwd: root, env: fleetOnly });
    const doctorResults = JSON.parse(doctorRun.stdout);
    ok(Array.isArray(doctorResults), `doctor --json prints its checks (exit ${doctorRun.status}): ${doctorRun.stdout.slice(0, 500)}${doctorRun.stderr.slice(0, 500)}`);
    const checks = Object.fromEntries(doctorResults.map((r) => [r.check, r]));
    for (const name of ['configuration', 'aws-identity', 'runner-table', 'class-sizes', 'lambda', 'dead-letter-queue']) {
      equal(checks[name]?.status, 'PASS', `doctor ${name} passes on the applied seed: ${JSON.stringify(checks[name])}`);
    }
    equal(checks['github-credential']?.status, 'FAIL', 'doctor cannot reach GitHub here and says so');
    equal(doctorRun.status, 1, 'doctor exits 1 when a check fails');
    log(`  ok  ecsrunner doctor --json (AWS checks pass on the applied seed; GitHub unreachable here: ${checks['github-credential'].message.slice(0, 80)})`);
  } finally {
    doc.destroy();
    ecs.destroy();
  }
}
