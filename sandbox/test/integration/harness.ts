import { jest } from '@jest/globals';
import { LIFECYCLE } from '@runner-fleet/core';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { CAPACITY_LEDGER_KEY } from '@runner-fleet/core/store';
import { startSandbox, type Sandbox } from '../../src/index.js';

/** How much slower than an idle machine this run may be (TEST_TIME_SCALE, default 1): scales waits on real work. */
export const TIME_SCALE = Number(process.env.TEST_TIME_SCALE) > 0 ? Number(process.env.TEST_TIME_SCALE) : 1;

// Integration tests wait for real work (the sandbox's timers, child CLIs), slower on a loaded
// machine: jest's 5 s default is no budget for them. (testTimeout is global-only in jest's
// config, so it is set here, for every file that uses the harness.)
jest.setTimeout(60_000 * TIME_SCALE);

/** A sandbox on a free port with fast simulated time; problems it reports are collected, not printed. */
export async function startTestSandbox(env: Record<string, string> = {}): Promise<Sandbox & { problems: string[] }> {
  const problems: string[] = [];
  // SANDBOX_LAMBDA=bundle in the test run's environment (npm run test:integration:bundle) runs the built zip's code.
  const lambda = process.env.SANDBOX_LAMBDA ? { SANDBOX_LAMBDA: process.env.SANDBOX_LAMBDA } : {};
  // SANDBOX_AWS_CALL_LOG: the run records the control plane's AWS calls for the IAM checks of npm run test:apply.
  const callLog = process.env.SANDBOX_AWS_CALL_LOG ? { SANDBOX_AWS_CALL_LOG: process.env.SANDBOX_AWS_CALL_LOG } : {};
  const sandbox = await startSandbox({
    env: { PORT: '0', SANDBOX_TASK_START_MS: '20', SANDBOX_JOB_MS: '40', SANDBOX_RETRY_MS: '20', SANDBOX_HOUSEKEEPING_MS: '0', ...lambda, ...callLog, ...env },
    // HARNESS_LOG=DEBUG (or INFO) shows the control plane's log lines while a test is being debugged.
    logLevel: (process.env.HARNESS_LOG as 'SILENT') ?? 'SILENT',
    onError: (message) => problems.push(message),
  });
  return Object.assign(sandbox, { problems });
}

/** Every status each runner passed through, in write order. */
export function recordHistories(sandbox: Sandbox): Map<string, string[]> {
  const histories = new Map<string, string[]>();
  sandbox.onRecordWrite((record) => {
    const h = histories.get(record.runnerId) ?? [];
    if (h[h.length - 1] !== record.status) h.push(record.status);
    histories.set(record.runnerId, h);
  });
  return histories;
}

let jobIds = 5_000_000_000;
export function nextJobId(): number {
  return jobIds++;
}

/**
 * True when a runner's history starts as `first` says, only ever moves forward along the life
 * cycle (a step may be skipped when ECS and GitHub events race, as they do in AWS), and ends `last`.
 */
export function forwardHistory(history: string[] | undefined, first: string[], last: string): boolean {
  if (!history || history.slice(0, first.length).join() !== first.join() || history[history.length - 1] !== last) return false;
  const order = history.map((s) => (LIFECYCLE as readonly string[]).indexOf(s));
  return order.every((i, n) => i >= 0 && (n === 0 || i > order[n - 1]!));
}

/** A DynamoDB client on the sandbox's table, for the edits a test makes behind the control plane's back. */
export function tableClient(sandbox: Sandbox): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: sandbox.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }));
}

/** Moves a record's timestamps into the past, as if `minutes` had gone by (no sleeping in tests). */
export async function backdate(sandbox: Sandbox, runnerId: string, fields: string[], minutes: number): Promise<void> {
  const doc = tableClient(sandbox);
  const at = new Date(Date.now() - minutes * 60_000).toISOString();
  await doc.send(
    new UpdateCommand({
      TableName: sandbox.controlPlaneEnv.RUNNER_TABLE,
      Key: { runnerId },
      UpdateExpression: `SET ${fields.map((f, i) => `#f${i} = :at`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(fields.map((f, i) => [`#f${i}`, f])),
      ExpressionAttributeValues: { ':at': at },
    }),
  );
}

/** As if a runner's backoff had passed: its retryAt, and any pause of launches after a capacity error, are in the past. */
export async function expireBackoff(sandbox: Sandbox, runnerId: string): Promise<void> {
  await backdate(sandbox, runnerId, ['retryAt'], 1);
  await tableClient(sandbox).send(
    new UpdateCommand({
      TableName: sandbox.controlPlaneEnv.RUNNER_TABLE,
      Key: { runnerId: CAPACITY_LEDGER_KEY },
      UpdateExpression: 'REMOVE launchesPausedUntil',
    }),
  );
}
