import { afterEach, beforeEach } from '@jest/globals';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { type RunnerRecord } from '@runner-fleet/core';
import { RunnerStore, runnerTableDefinition } from '@runner-fleet/core/store';
import dynalite from 'dynalite';
import { readConfig } from '../../src/config.js';
import type { GitHubBudgetState } from '../../src/domain/github-budget.js';
import type { Deps, FleetMetrics, GitHubBudget, GitHubRunners, JitConfig, JitSecrets, LaunchSpec, RunnerImages, RunnerTasks, WorkflowJobDetail } from '../../src/domain/ports.js';
import type { Log } from '../../src/runtime/logger.js';

/** A complete, valid control-plane environment (DESIGN §7). */
export const validEnv = {
  RUNNER_TABLE: 'runners',
  CLASS_SIZES_PARAM: '/fleet/class-sizes',
  GITHUB_REPO: 'octo-org/octo-repo',
  GITHUB_AUTH_PARAM: '/fleet/github-auth',
  WEBHOOK_SECRET_PARAM: '/fleet/webhook-secret',
  EVENT_BUS_NAME: 'fleet',
  ECS_CLUSTER: 'fleet',
  SUBNET_IDS: 'subnet-1',
  SECURITY_GROUP_IDS: 'sg-1',
  RUNNER_TASK_DEFINITION: 'fleet-runner',
  ECR_REPOSITORY_URL: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet-runner',
};

export const config = readConfig(validEnv);

/** A real DynamoDB (dynalite, in memory) with the runner table, for one test file. */
export async function startTable(): Promise<{ store: RunnerStore; doc: DynamoDBDocumentClient; stop: () => Promise<void>; clock: { now: Date } }> {
  const server = dynalite({ createTableMs: 0 }) as Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = new DynamoDBClient({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await client.send(
    new CreateTableCommand(runnerTableDefinition(config.runnerTable)),
  );
  const clock = { now: new Date('2026-11-28T10:00:00Z') };
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const store = new RunnerStore(doc, {
    tableName: config.runnerTable,
    retentionDays: 30,
    now: () => clock.now,
  });
  return { store, doc, clock, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A fresh table for every test of the calling describe block; `store` and `clock` are the running test's. */
export function tablePerTest(): { readonly store: RunnerStore; readonly doc: DynamoDBDocumentClient; readonly clock: { now: Date } } {
  let current: Awaited<ReturnType<typeof startTable>>;
  beforeEach(async () => {
    current = await startTable();
  });
  afterEach(() => current.stop());
  return {
    get store() {
      return current.store;
    },
    get clock() {
      return current.clock;
    },
    get doc() {
      return current.doc;
    },
  };
}

let nextSequence = 10n ** 20n;

/**
 * The stream event the runner table's stream would carry for the INSERTs of `keys` (items as
 * they stand now; missing keys are left out), in AWS's record shape with NEW_IMAGE, as the
 * event source mapping hands it to the Lambda. Unit tests use it where the sandbox has a stream.
 */
export async function streamInsertsOf(doc: DynamoDBDocumentClient, keys: string[]): Promise<DynamoDBStreamEvent> {
  const records: DynamoDBRecord[] = [];
  for (const runnerId of keys) {
    const { Item } = await doc.send(new GetCommand({ TableName: config.runnerTable, Key: { runnerId }, ConsistentRead: true }));
    if (!Item) continue;
    nextSequence++;
    records.push({
      eventID: `test-${nextSequence}`,
      eventName: 'INSERT',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'us-east-1',
      dynamodb: { Keys: marshall({ runnerId }) as never, NewImage: marshall(Item, { removeUndefinedValues: true }) as never, SequenceNumber: nextSequence.toString(), SizeBytes: 100, StreamViewType: 'NEW_IMAGE' },
      eventSourceARN: `arn:aws:dynamodb:us-east-1:123456789012:table/${config.runnerTable}/stream/2026-01-01T00:00:00.000`,
    });
  }
  return { Records: records };
}

/** GitHub's runner endpoints, recorded; `registered` holds runners by name. */
export class FakeGitHub implements GitHubRunners {
  readonly calls: string[] = [];
  readonly registered = new Map<string, { id: number; busy: boolean }>();
  private nextId = 100;
  failNextGenerate?: Error;

  async generateJitConfig({ name }: { name: string }): Promise<JitConfig | 'exists'> {
    this.calls.push(`generateJitConfig ${name}`);
    if (this.failNextGenerate) {
      const error = this.failNextGenerate;
      this.failNextGenerate = undefined;
      throw error;
    }
    if (this.registered.has(name)) return 'exists';
    const id = this.nextId++;
    this.registered.set(name, { id, busy: false });
    return { githubRunnerId: id, encodedJitConfig: `jit-for-${id}` };
  }

  async findRunner(name: string) {
    this.calls.push(`findRunner ${name}`);
    const r = this.registered.get(name);
    return r ? { id: r.id, busy: r.busy, status: 'offline' } : undefined;
  }

  readonly jobStatuses = new Map<number, string>();
  async jobStatus(jobId: number) {
    this.calls.push(`jobStatus ${jobId}`);
    return this.jobStatuses.get(jobId);
  }

  /** The runner GitHub gave each job, by job id (absent: none yet). */
  readonly jobRunnerNames = new Map<number, string>();
  async job(jobId: number) {
    this.calls.push(`job ${jobId}`);
    const status = this.jobStatuses.get(jobId);
    const runnerName = this.jobRunnerNames.get(jobId);
    return status === undefined ? undefined : { status, ...(runnerName ? { runnerName } : {}) };
  }

  async listRunners(prefix: string) {
    return [...this.registered].filter(([name]) => name.startsWith(prefix)).map(([name, r]) => ({ id: r.id, name, status: 'offline', busy: r.busy }));
  }

  async deleteRunner(id: number) {
    this.calls.push(`deleteRunner ${id}`);
    for (const [name, r] of this.registered) {
      if (r.id !== id) continue;
      if (r.busy) return 'busy' as const;
      this.registered.delete(name);
      return 'deleted' as const;
    }
    return 'not-found' as const;
  }
}

/** ECS, recorded: tasks by runner id, honouring the clientToken (one task per runner id). */
export class FakeTasks implements RunnerTasks {
  readonly calls: string[] = [];
  readonly started = new Map<string, { taskArn: string; spec: LaunchSpec; stopped?: string }>();
  nextRunError?: Error;

  async run(spec: LaunchSpec): Promise<string> {
    this.calls.push(`run ${spec.runnerId}`);
    if (this.nextRunError) {
      const error = this.nextRunError;
      this.nextRunError = undefined;
      throw error;
    }
    const existing = this.started.get(spec.runnerId);
    if (existing) return existing.taskArn;
    const taskArn = `arn:aws:ecs:eu-west-1:123456789012:task/fleet/${spec.runnerId}`;
    this.started.set(spec.runnerId, { taskArn, spec });
    return taskArn;
  }

  async findLive(runnerId: string) {
    this.calls.push(`findLive ${runnerId}`);
    const task = this.started.get(runnerId);
    return task && !task.stopped ? task.taskArn : undefined;
  }

  async listRunning() {
    return [...this.started.values()].filter((t) => !t.stopped).map((t) => t.taskArn);
  }

  async describe(taskArns: string[]) {
    const found = new Map<string, { taskArn: string; lastStatus: string }>();
    for (const task of this.started.values()) if (taskArns.includes(task.taskArn)) found.set(task.taskArn, { taskArn: task.taskArn, lastStatus: task.stopped ? 'STOPPED' : 'RUNNING' });
    return found;
  }

  async stop(taskArn: string, reason: string) {
    this.calls.push(`stop ${taskArn}`);
    for (const task of this.started.values()) if (task.taskArn === taskArn) task.stopped = reason;
  }
}

/** ECR, task definitions and CodeBuild, recorded: images appear when a test says a build succeeded. */
export class FakeImages implements RunnerImages {
  readonly calls: string[] = [];
  readonly present = new Set<string>();
  private builds = 0;

  async exists(tag: string) {
    this.calls.push(`exists ${tag}`);
    return this.present.has(tag);
  }

  async forget(tag: string) {
    this.calls.push(`forget ${tag}`);
    this.present.delete(tag);
  }

  async taskDefinitionFor(tag: string) {
    return `fleet-runner-${tag.slice(-16)}`;
  }

  async startBuild(baseImage: string | undefined, tag: string) {
    this.calls.push(`startBuild ${baseImage ?? 'default'} ${tag}`);
    return `fleet-images:build-${++this.builds}`;
  }

  async buildStatus() {
    return 'IN_PROGRESS';
  }
}

/** SSM's JIT-config parameters, in memory: names by runner, and what was stored under each. */
export class FakeJitSecrets implements JitSecrets {
  readonly calls: string[] = [];
  readonly stored = new Map<string, { runnerId: string; value: string }>();
  nextStoreError?: Error;
  private puts = 0;

  async store(runnerId: string, jitConfig: string) {
    this.calls.push(`store ${runnerId}`);
    if (this.nextStoreError) {
      const error = this.nextStoreError;
      this.nextStoreError = undefined;
      throw error;
    }
    const name = `/fleet/jit/${runnerId}/${++this.puts}`;
    this.stored.set(name, { runnerId, value: jitConfig });
    return name;
  }

  async discard(runnerId: string) {
    this.calls.push(`discard ${runnerId}`);
    let deleted = 0;
    for (const [name, entry] of this.stored) if (entry.runnerId === runnerId && this.stored.delete(name)) deleted++;
    return deleted;
  }

  /** What a runner still has stored. */
  of(runnerId: string): string[] {
    return [...this.stored].filter(([, e]) => e.runnerId === runnerId).map(([name]) => name);
  }
}

/** The shared GitHub budget, in memory: `state` is what every instance would read. */
export class FakeGitHubBudget implements GitHubBudget {
  state?: GitHubBudgetState;
  readonly recorded: GitHubBudgetState[] = [];
  async record(state: GitHubBudgetState) {
    this.recorded.push(state);
    if (!this.state || state.observedAt >= this.state.observedAt) this.state = state;
  }
  async current() {
    return this.state;
  }
}

/** Records what the control plane counts, summed per metric (and reason). */
export class RecordingMetrics implements FleetMetrics {
  readonly totals = new Map<string, number>();
  count(name: string, value = 1, dimensions?: { reason: string }) {
    const key = dimensions ? `${name}/${dimensions.reason}` : name;
    this.totals.set(key, (this.totals.get(key) ?? 0) + value);
  }
  gauge(name: string, value: number) {
    this.totals.set(name, value);
  }
  seconds(name: string, value: number) {
    this.totals.set(name, (this.totals.get(name) ?? 0) + value);
  }
  async flush() {}
}

export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {}, appendKeys() {}, resetKeys() {} };

export function makeDeps(
  store: RunnerStore,
  clock: { now: Date },
  overrides: Partial<Deps> = {},
): Deps & { github: FakeGitHub; githubBudget: FakeGitHubBudget; tasks: FakeTasks; images: FakeImages; jitSecrets: FakeJitSecrets; metrics: RecordingMetrics } {
  return {
    config,
    store,
    github: new FakeGitHub(),
    githubBudget: new FakeGitHubBudget(),
    tasks: new FakeTasks(),
    bus: { publish: async () => {}, publishAll: async () => {} },
    images: new FakeImages(),
    jitSecrets: new FakeJitSecrets(),
    webhookSecrets: async () => ['secret'],
    labelPolicy: async () => ({ classes: new Map([['small', { cpu: 512, memory: 1024, spot: false }]]), defaultClass: 'small', extraLabels: [], allowedBaseImages: [] }),
    log: silentLog,
    metrics: new RecordingMetrics(),
    now: () => clock.now,
    ...overrides,
  } as Deps & { github: FakeGitHub; githubBudget: FakeGitHubBudget; tasks: FakeTasks; images: FakeImages; jitSecrets: FakeJitSecrets; metrics: RecordingMetrics };
}

/** An event bus that keeps what is put on it. */
export function recordingBus(): { bus: Deps['bus']; published: WorkflowJobDetail[] } {
  const published: WorkflowJobDetail[] = [];
  return { published, bus: { publish: async (d) => void published.push(d), publishAll: async (ds) => void published.push(...ds) } };
}

let nextJob = 1000;

/** A queued record as ingress writes it, and the bus event that goes with it. */
export async function queuedJob(store: RunnerStore, clock: { now: Date }): Promise<{ record: RunnerRecord; detail: WorkflowJobDetail }> {
  const jobId = nextJob++;
  const runnerId = `ecs-runner-${jobId}`;
  const at = clock.now.toISOString();
  const record: RunnerRecord = {
    runnerId,
    status: 'queued',
    repo: 'octo-org/octo-repo',
    jobId,
    runId: jobId - 1,
    runAttempt: 1,
    labels: ['self-hosted'],
    runnerClass: 'small',
    cpu: 512,
    memory: 1024,
    spot: false,
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
  await store.create(record);
  const detail: WorkflowJobDetail = {
    action: 'queued',
    deliveryId: `d-${jobId}`,
    repo: record.repo,
    job: { id: jobId, runId: jobId - 1, runAttempt: 1, labels: record.labels, runnerName: null, conclusion: null },
    runner: { runnerId, version: 1, runnerClass: 'small', cpu: 512, memory: 1024, spot: false },
  };
  return { record, detail };
}
