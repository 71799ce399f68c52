import { createHash, randomUUID } from 'node:crypto';
import { isValidFargatePair } from '@runner-fleet/core';
import type { EventBridgeSimulator } from './eventbridge.js';
import { ACCOUNT_ID, AwsError, requireString, type JsonService } from './protocol.js';

interface ContainerDefinition {
  name: string;
  image: string;
  environment?: Array<{ name: string; value: string }>;
}

interface TaskDefinition {
  family: string;
  revision: number;
  arn: string;
  cpu?: string;
  memory?: string;
  networkMode?: string;
  containerDefinitions: ContainerDefinition[];
  raw: Record<string, unknown>;
}

export interface SimTask {
  taskArn: string;
  clusterArn: string;
  taskDefinitionArn: string;
  startedBy?: string;
  group: string;
  lastStatus: string;
  desiredStatus: 'RUNNING' | 'STOPPED';
  cpu: string;
  memory: string;
  capacityProviderName: string;
  /** Fargate platform 1.4 reports the task's ephemeral storage, 20 GiB unless the task definition or RunTask asked for more. */
  ephemeralStorageGiB: number;
  /** The task definition's runtimePlatform, as ECS's `ecs.cpu-architecture` attribute spells it (x86_64, arm64). */
  cpuArchitecture: string;
  createdAt: number;
  /** When the image pull began and ended: Fargate bills from pullStartedAt. */
  pullStartedAt?: number;
  pullStoppedAt?: number;
  startedAt?: number;
  stoppingAt?: number;
  stoppedAt?: number;
  stopCode?: string;
  stoppedReason?: string;
  containers: Array<{ containerArn: string; name: string; image: string; lastStatus: string; exitCode?: number; reason?: string; taskArn: string }>;
  /** The merged environment of each container (overrides applied), as the runner process sees it. */
  environment: Record<string, Record<string, string>>;
  overrides: Record<string, unknown>;
  tags: Array<{ key: string; value: string }>;
  version: number;
}

export interface EcsFaults {
  /** Task state changes happen but no event reaches the bus (a lost event). */
  dropEvents: boolean;
  /** The next N RunTask calls answer ThrottlingException (the SDK itself retries each call up to 3 times). */
  runTaskThrottles: number;
  /** Every Nth RunTask call answers ThrottlingException (0: never), e.g. 10 for 10 % of calls. */
  runTaskThrottleEvery: number;
  /** DescribeTasks reports a task MISSING for this long after RunTask (ECS is eventually consistent); 0: never. */
  describeLagMs?: number;
  /** Until this time (ms since epoch) RunTask answers with a capacity failure. */
  capacityOutageUntil: number;
  /** Until this time, only FARGATE_SPOT has no capacity. */
  spotCapacityOutageUntil: number;
}

export interface EcsTimings {
  /** PROVISIONING → RUNNING (SANDBOX_TASK_START_MS). */
  taskStartMs: number;
}

/**
 * ECS's and Fargate's rate quotas, per account and Region, as token buckets
 * (bucket maximum = burst, refill = sustained rate per second). AWS's numbers
 * ("AWS Fargate throttling quotas"): RunTask calls on Fargate 20 a second,
 * burst and sustained; Fargate task launches a bucket of 100 refilling at 20
 * a second. A call over either answers ThrottlingException "Rate exceeded".
 */
export interface EcsRates {
  /** RunTask calls per second, sustained (SANDBOX_RUNTASK_RATE). 0: no limit. */
  runTaskRate: number;
  /** RunTask calls in one burst (SANDBOX_RUNTASK_BURST). */
  runTaskBurst: number;
  /** Fargate tasks launched per second, sustained (SANDBOX_FARGATE_LAUNCH_RATE). 0: no limit. */
  launchRate: number;
  /** Fargate tasks launched in one burst (SANDBOX_FARGATE_LAUNCH_BURST). */
  launchBurst: number;
}

export const DEFAULT_ECS_RATES: EcsRates = { runTaskRate: 20, runTaskBurst: 20, launchRate: 20, launchBurst: 100 };

/** The most of `times` (ms, ascending) that fall in any window of `windowMs`: the peak rate the record shows. */
export function maxInWindow(times: readonly number[], windowMs: number): number {
  let max = 0;
  for (let start = 0, end = 0; end < times.length; end++) {
    while (times[end]! - times[start]! >= windowMs) start++;
    max = Math.max(max, end - start + 1);
  }
  return max;
}

/** A token bucket: `burst` tokens at most, `rate` added per second; a request takes `n`. */
export class TokenBucket {
  private tokens: number;
  private at: number;
  constructor(
    readonly rate: number,
    readonly burst: number,
    now = performance.now(),
  ) {
    this.tokens = burst;
    this.at = now;
  }

  take(n = 1, now = performance.now()): boolean {
    if (this.rate <= 0) return true;
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }
}

const CAPACITY_REASON = 'Capacity is unavailable at this time. Please try again later or in a different availability zone';
/** RunTask startedBy: up to 128 letters, numbers, hyphens, forward slashes and underscores (ECS API reference). */
const STARTED_BY = /^[A-Za-z0-9_/-]{1,128}$/;

/**
 * Amazon ECS on Fargate, as far as the fleet and an operator's tools use it.
 * Tasks move PROVISIONING → PENDING → RUNNING → (STOPPING) → STOPPED and
 * every change is put on the default bus as an "ECS Task State Change" event.
 */
export class EcsSimulator {
  readonly clusters = new Map<string, { name: string; arn: string; capacityProviders: string[] }>();
  private readonly taskDefinitions = new Map<string, TaskDefinition[]>();
  readonly tasks = new Map<string, SimTask>();
  private readonly clientTokens = new Map<string, { fingerprint: string; taskArns: string[] }>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;
  private readonly runningListeners: Array<(task: SimTask) => void> = [];
  private readonly stoppedListeners: Array<(task: SimTask) => void> = [];
  /** RunTask calls that reached the fault checks, and how many of them were throttled. */
  runTaskCalls = 0;
  runTaskThrottled = 0;
  readonly faults: EcsFaults = { dropEvents: false, runTaskThrottles: 0, runTaskThrottleEvery: 0, capacityOutageUntil: 0, spotCapacityOutageUntil: 0 };
  /** performance.now() of the RunTask that started each runner's (startedBy) first task, for latency figures. */
  readonly firstRunTaskAt = new Map<string, number>();
  /** Tasks started by RunTask, counted once each (a clientToken replay is not counted). */
  tasksStarted = 0;
  /** The rate quotas enforced (SANDBOX_RUNTASK_* and SANDBOX_FARGATE_LAUNCH_* in the sandbox). */
  readonly rates: EcsRates;
  private runTaskBucket: TokenBucket;
  private launchBucket: TokenBucket;
  /** performance.now() of every RunTask call the RunTask bucket let through, and of every task launch the launch bucket let through. */
  readonly acceptedRunTasks: number[] = [];
  readonly acceptedLaunches: number[] = [];
  /** RunTask calls refused by the rate quotas (not the injected faults). */
  runTaskRateLimited = 0;

  constructor(
    private readonly region: string,
    private readonly bus: EventBridgeSimulator,
    readonly timings: EcsTimings,
    rates: Partial<EcsRates> = {},
  ) {
    this.rates = { ...DEFAULT_ECS_RATES, ...rates };
    this.runTaskBucket = new TokenBucket(this.rates.runTaskRate, this.rates.runTaskBurst);
    this.launchBucket = new TokenBucket(this.rates.launchRate, this.rates.launchBurst);
  }

  /** New quotas from now on (full buckets). */
  setRates(rates: Partial<EcsRates>): void {
    Object.assign(this.rates, rates);
    this.runTaskBucket = new TokenBucket(this.rates.runTaskRate, this.rates.runTaskBurst);
    this.launchBucket = new TokenBucket(this.rates.launchRate, this.rates.launchBurst);
  }

  /** A task DescribeTasks does not see yet (faults.describeLagMs after its creation). */
  private stillInvisible(task: SimTask): boolean {
    const lag = this.faults.describeLagMs ?? 0;
    return lag > 0 && Date.now() - task.createdAt * 1000 < lag;
  }

  onTaskRunning(listener: (task: SimTask) => void): void {
    this.runningListeners.push(listener);
  }

  onTaskStopped(listener: (task: SimTask) => void): void {
    this.stoppedListeners.push(listener);
  }

  get pendingTransitions(): number {
    return this.timers.size;
  }

  /** Live tasks (desired RUNNING). */
  liveTasks(): SimTask[] {
    return [...this.tasks.values()].filter((t) => t.desiredStatus === 'RUNNING');
  }

  /** The runner process exits (the job ended, or it crashed). */
  exitTask(taskArn: string, exitCode: number, reason?: string): void {
    const task = this.tasks.get(taskArn);
    if (!task || task.lastStatus === 'STOPPED' || task.desiredStatus === 'STOPPED') return;
    task.desiredStatus = 'STOPPED';
    for (const c of task.containers) Object.assign(c, { exitCode, reason });
    this.stop(task, 'EssentialContainerExited', 'Essential container in task exited');
  }

  /** Stops simulating: pending transitions are dropped, and none is scheduled from now on. */
  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  service(): JsonService {
    return {
      targetPrefix: 'AmazonEC2ContainerServiceV20141113',
      operations: {
        CreateCluster: (input) => {
          const name = (input.clusterName as string) ?? 'default';
          const cluster = this.clusters.get(name) ?? { name, arn: `arn:aws:ecs:${this.region}:${ACCOUNT_ID}:cluster/${name}`, capacityProviders: [] };
          cluster.capacityProviders = (input.capacityProviders as string[]) ?? cluster.capacityProviders;
          this.clusters.set(name, cluster);
          return { cluster: this.describeCluster(cluster) };
        },
        ListClusters: () => ({ clusterArns: [...this.clusters.values()].map((c) => c.arn) }),
        DescribeClusters: (input) => {
          const wanted = ((input.clusters as string[]) ?? ['default']).map((c) => this.clusterName(c));
          const found = wanted.filter((n) => this.clusters.has(n));
          return {
            clusters: found.map((n) => this.describeCluster(this.clusters.get(n)!)),
            failures: wanted.filter((n) => !this.clusters.has(n)).map((n) => ({ arn: n, reason: 'MISSING' })),
          };
        },
        RegisterTaskDefinition: (input) => {
          const family = requireString(input, 'family', 'ClientException');
          const containers = (input.containerDefinitions as ContainerDefinition[]) ?? [];
          if (containers.length === 0) throw new AwsError('ClientException', 'Container list cannot be empty.');
          const revisions = this.taskDefinitions.get(family) ?? [];
          const revision = revisions.length + 1;
          const td: TaskDefinition = {
            family,
            revision,
            arn: `arn:aws:ecs:${this.region}:${ACCOUNT_ID}:task-definition/${family}:${revision}`,
            cpu: input.cpu as string | undefined,
            memory: input.memory as string | undefined,
            networkMode: input.networkMode as string | undefined,
            containerDefinitions: containers,
            raw: input,
          };
          if ((input.requiresCompatibilities as string[] | undefined)?.includes('FARGATE')) {
            if (td.networkMode !== 'awsvpc') throw new AwsError('ClientException', 'Fargate requires task definition to have awsvpc network mode.');
            if (!td.cpu || !td.memory || !isValidFargatePair(Number(td.cpu), Number(td.memory))) throw new AwsError('ClientException', 'No Fargate configuration exists for given values.');
          }
          revisions.push(td);
          this.taskDefinitions.set(family, revisions);
          return { taskDefinition: this.describeTaskDefinition(td) };
        },
        DescribeTaskDefinition: (input) => ({ taskDefinition: this.describeTaskDefinition(this.resolveTaskDefinition(requireString(input, 'taskDefinition', 'ClientException'))) }),
        RunTask: (input) => this.runTask(input),
        DescribeTasks: (input) => {
          this.requireCluster(input.cluster as string | undefined);
          const wanted = (input.tasks as string[]) ?? [];
          if (wanted.length > 100) throw new AwsError('InvalidParameterException', 'Tasks cannot have more than 100 elements');
          const tasks: SimTask[] = [];
          const failures: Array<{ arn: string; reason: string }> = [];
          for (const id of wanted) {
            const task = this.findTask(id);
            if (task && !this.stillInvisible(task)) tasks.push(task);
            else failures.push({ arn: id, reason: 'MISSING' });
          }
          return { tasks: tasks.map((t) => this.describeTask(t)), failures };
        },
        ListTasks: (input) => {
          const cluster = this.requireCluster(input.cluster as string | undefined);
          // ECS: "When you specify startedBy as the filter, it must be the only filter that you use."
          const otherFilters = ['family', 'containerInstance', 'serviceName', 'desiredStatus', 'launchType'].filter((k) => input[k] !== undefined);
          if (input.startedBy !== undefined && otherFilters.length > 0) {
            throw new AwsError('InvalidParameterException', `startedBy must be the only filter; also given: ${otherFilters.join(', ')}.`);
          }
          const desired = (input.desiredStatus as string) ?? (input.startedBy !== undefined ? undefined : 'RUNNING');
          const max = Math.min(Number(input.maxResults ?? 100), 100);
          const matching = [...this.tasks.values()].filter(
            (t) =>
              t.clusterArn === cluster.arn &&
              (desired === undefined || t.desiredStatus === desired) &&
              (input.startedBy === undefined || t.startedBy === input.startedBy) &&
              (input.family === undefined || t.taskDefinitionArn.includes(`/${input.family as string}:`)),
          );
          const start = input.nextToken ? Number(Buffer.from(input.nextToken as string, 'base64').toString()) : 0;
          const page = matching.slice(start, start + max);
          const next = start + max < matching.length ? Buffer.from(String(start + max)).toString('base64') : undefined;
          return { taskArns: page.map((t) => t.taskArn), ...(next ? { nextToken: next } : {}) };
        },
        StopTask: (input) => {
          this.requireCluster(input.cluster as string | undefined);
          const task = this.findTask(requireString(input, 'task'));
          if (!task) throw new AwsError('InvalidParameterException', 'The referenced task was not found.');
          if (task.desiredStatus === 'RUNNING') {
            task.desiredStatus = 'STOPPED';
            for (const c of task.containers) Object.assign(c, { exitCode: task.lastStatus === 'RUNNING' ? 143 : undefined });
            this.stop(task, 'UserInitiated', (input.reason as string) ?? 'Task stopped by user');
          }
          return { task: this.describeTask(task) };
        },
      },
    };
  }

  private runTask(input: Record<string, unknown>) {
    // Every RunTask request takes a token, before anything else is looked at.
    if (!this.runTaskBucket.take()) {
      this.runTaskRateLimited++;
      throw new AwsError('ThrottlingException', 'Rate exceeded');
    }
    this.acceptedRunTasks.push(performance.now());
    const cluster = this.requireCluster(input.cluster as string | undefined);
    const td = this.resolveTaskDefinition(requireString(input, 'taskDefinition', 'ClientException'));
    const strategy = input.capacityProviderStrategy as Array<{ capacityProvider: string; weight?: number }> | undefined;
    if (input.launchType && strategy) throw new AwsError('InvalidParameterException', 'Specifying both a launch type and capacity provider strategy is not supported.');
    const providers = strategy?.map((s) => s.capacityProvider) ?? [];
    for (const p of providers) {
      if (!cluster.capacityProviders.includes(p)) throw new AwsError('InvalidParameterException', `The specified capacity provider ${p} is not associated with the cluster.`);
    }
    const count = Number(input.count ?? 1);
    if (!Number.isInteger(count) || count < 1 || count > 10) throw new AwsError('InvalidParameterException', 'count must be between 1 and 10.');
    const startedBy = input.startedBy as string | undefined;
    if (startedBy !== undefined && !STARTED_BY.test(startedBy)) throw new AwsError('InvalidParameterException', 'startedBy must be up to 128 letters (uppercase and lowercase), numbers, hyphens (-), forward slash (/), and underscores (_) are allowed.');
    const clientToken = input.clientToken as string | undefined;
    if (clientToken !== undefined && !/^[\x21-\x7e]{1,64}$/.test(clientToken)) throw new AwsError('InvalidParameterException', 'clientToken must be 1-64 ASCII characters (33-126).');
    const vpc = (input.networkConfiguration as { awsvpcConfiguration?: { subnets?: string[] } } | undefined)?.awsvpcConfiguration;
    if (td.networkMode === 'awsvpc' && !vpc?.subnets?.length) throw new AwsError('InvalidParameterException', "Network Configuration must be provided when networkMode 'awsvpc' is specified.");
    const overrides = (input.overrides as { cpu?: string; memory?: string; containerOverrides?: Array<{ name: string; environment?: Array<{ name: string; value: string }> }> }) ?? {};
    const cpu = overrides.cpu ?? td.cpu ?? '256';
    const memory = overrides.memory ?? td.memory ?? '512';
    if (!isValidFargatePair(Number(cpu), Number(memory))) throw new AwsError('ClientException', 'No Fargate configuration exists for given values.');
    for (const o of overrides.containerOverrides ?? []) {
      if (!td.containerDefinitions.some((c) => c.name === o.name)) throw new AwsError('InvalidParameterException', `Override for container named ${o.name} is not a container in the TaskDefinition.`);
    }

    // RunTask idempotency: same token and parameters → the original result; other parameters → ConflictException.
    const fingerprint = createHash('sha256').update(JSON.stringify(input, Object.keys(input).filter((k) => k !== 'clientToken').sort())).digest('hex');
    const tokenKey = clientToken ? `${cluster.arn}|${clientToken}` : undefined;
    const earlier = tokenKey ? this.clientTokens.get(tokenKey) : undefined;
    if (earlier) {
      if (earlier.fingerprint !== fingerprint) throw new AwsError('ConflictException', 'The request uses the same client token as a previous, but non-identical request.');
      return { tasks: earlier.taskArns.map((arn) => this.describeTask(this.tasks.get(arn)!)), failures: [] };
    }

    if (this.throttled()) throw new AwsError('ThrottlingException', 'Rate exceeded');
    // Fargate's task-launch bucket: one token per task launched (a replay above launched none).
    if (!this.launchBucket.take(count)) {
      this.runTaskRateLimited++;
      throw new AwsError('ThrottlingException', 'Rate exceeded');
    }
    for (let i = 0; i < count; i++) this.acceptedLaunches.push(performance.now());
    const provider = providers[0] ?? 'FARGATE';
    if (Date.now() < this.faults.capacityOutageUntil || (provider === 'FARGATE_SPOT' && Date.now() < this.faults.spotCapacityOutageUntil)) {
      return { tasks: [], failures: [{ arn: `arn:aws:ecs:${this.region}:${ACCOUNT_ID}:capacity-provider/${provider}`, reason: CAPACITY_REASON }] };
    }

    const tasks: SimTask[] = [];
    for (let i = 0; i < count; i++) tasks.push(this.createTask(cluster.arn, td, provider, cpu, memory, startedBy, overrides, input));
    if (tokenKey) this.clientTokens.set(tokenKey, { fingerprint, taskArns: tasks.map((t) => t.taskArn) });
    this.tasksStarted += tasks.length;
    if (startedBy && !this.firstRunTaskAt.has(startedBy)) this.firstRunTaskAt.set(startedBy, performance.now());
    return { tasks: tasks.map((t) => this.describeTask(t)), failures: [] };
  }

  /** Counts a RunTask call and says whether the injected faults throttle it. */
  private throttled(): boolean {
    this.runTaskCalls++;
    const { runTaskThrottleEvery: every } = this.faults;
    let throttle = every > 0 && this.runTaskCalls % every === 0;
    if (this.faults.runTaskThrottles > 0) {
      this.faults.runTaskThrottles--;
      throttle = true;
    }
    if (throttle) this.runTaskThrottled++;
    return throttle;
  }

  private createTask(
    clusterArn: string,
    td: TaskDefinition,
    provider: string,
    cpu: string,
    memory: string,
    startedBy: string | undefined,
    overrides: { containerOverrides?: Array<{ name: string; environment?: Array<{ name: string; value: string }> }> },
    input: Record<string, unknown>,
  ): SimTask {
    const id = randomUUID().replace(/-/g, '');
    const clusterName = clusterArn.split('/').pop()!;
    const taskArn = `arn:aws:ecs:${this.region}:${ACCOUNT_ID}:task/${clusterName}/${id}`;
    const environment: Record<string, Record<string, string>> = {};
    for (const c of td.containerDefinitions) {
      const env = Object.fromEntries((c.environment ?? []).map((e) => [e.name, e.value]));
      for (const e of overrides.containerOverrides?.find((o) => o.name === c.name)?.environment ?? []) env[e.name] = e.value;
      environment[c.name] = env;
    }
    const task: SimTask = {
      taskArn,
      clusterArn,
      taskDefinitionArn: td.arn,
      startedBy,
      group: (input.group as string) ?? `family:${td.family}`,
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      cpu,
      memory,
      capacityProviderName: provider,
      ephemeralStorageGiB: ephemeralStorageOf(input.overrides) ?? ephemeralStorageOf(td.raw) ?? 20,
      cpuArchitecture: String((td.raw.runtimePlatform as { cpuArchitecture?: string } | undefined)?.cpuArchitecture ?? 'X86_64').toLowerCase(),
      createdAt: Date.now() / 1000,
      containers: td.containerDefinitions.map((c) => ({ containerArn: `arn:aws:ecs:${this.region}:${ACCOUNT_ID}:container/${clusterName}/${id}/${randomUUID()}`, name: c.name, image: c.image, lastStatus: 'PENDING', taskArn })),
      environment,
      overrides: (input.overrides as Record<string, unknown>) ?? {},
      tags: (input.tags as Array<{ key: string; value: string }>) ?? [],
      version: 1,
    };
    this.tasks.set(taskArn, task);
    this.changed(task);
    this.later(Math.floor(this.timings.taskStartMs / 2), () => {
      if (task.desiredStatus !== 'RUNNING') return;
      task.lastStatus = 'PENDING';
      task.pullStartedAt = Date.now() / 1000;
      this.changed(task);
      this.later(Math.ceil(this.timings.taskStartMs / 2), () => {
        if (task.desiredStatus !== 'RUNNING') return;
        task.lastStatus = 'RUNNING';
        task.pullStoppedAt = Date.now() / 1000;
        task.startedAt = task.pullStoppedAt;
        for (const c of task.containers) c.lastStatus = 'RUNNING';
        this.changed(task);
        for (const listener of this.runningListeners) listener(task);
      });
    });
    return task;
  }

  private stop(task: SimTask, stopCode: string, reason: string): void {
    task.stopCode = stopCode;
    task.stoppedReason = reason;
    task.stoppingAt = Date.now() / 1000;
    task.lastStatus = 'STOPPING';
    this.changed(task);
    this.later(0, () => {
      task.lastStatus = 'STOPPED';
      task.stoppedAt = Date.now() / 1000;
      for (const c of task.containers) c.lastStatus = 'STOPPED';
      this.changed(task);
      for (const listener of this.stoppedListeners) listener(task);
    });
  }

  private changed(task: SimTask): void {
    task.version++;
    if (this.faults.dropEvents) return;
    // Events carry ISO-8601 times where the API answers epoch seconds.
    const iso = (seconds?: number) => (seconds === undefined ? undefined : new Date(seconds * 1000).toISOString());
    const detail = { ...this.describeTask(task), createdAt: iso(task.createdAt), pullStartedAt: iso(task.pullStartedAt), pullStoppedAt: iso(task.pullStoppedAt), startedAt: iso(task.startedAt), stoppingAt: iso(task.stoppingAt), stoppedAt: iso(task.stoppedAt) };
    this.bus.emit('aws.ecs', 'ECS Task State Change', detail, [task.taskArn]);
  }

  private later(ms: number, fn: () => void): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  private requireCluster(ref: string | undefined) {
    const cluster = this.clusters.get(this.clusterName(ref ?? 'default'));
    if (!cluster) throw new AwsError('ClusterNotFoundException', 'Cluster not found.');
    return cluster;
  }

  private clusterName(ref: string): string {
    return ref.startsWith('arn:') ? ref.split('/').pop()! : ref;
  }

  private resolveTaskDefinition(ref: string): TaskDefinition {
    const name = ref.startsWith('arn:') ? ref.split('/').pop()! : ref;
    const [family, rev] = name.split(':');
    const revisions = this.taskDefinitions.get(family!);
    const td = rev ? revisions?.find((r) => r.revision === Number(rev)) : revisions?.[revisions.length - 1];
    if (!td) throw new AwsError('ClientException', 'Unable to describe task definition.');
    return td;
  }

  private findTask(ref: string): SimTask | undefined {
    if (this.tasks.has(ref)) return this.tasks.get(ref);
    return [...this.tasks.values()].find((t) => t.taskArn.endsWith(`/${ref}`));
  }

  private describeCluster(c: { name: string; arn: string; capacityProviders: string[] }) {
    const tasks = [...this.tasks.values()].filter((t) => t.clusterArn === c.arn);
    return {
      clusterArn: c.arn,
      clusterName: c.name,
      status: 'ACTIVE',
      capacityProviders: c.capacityProviders,
      runningTasksCount: tasks.filter((t) => t.lastStatus === 'RUNNING').length,
      pendingTasksCount: tasks.filter((t) => ['PROVISIONING', 'PENDING'].includes(t.lastStatus)).length,
    };
  }

  private describeTaskDefinition(td: TaskDefinition) {
    return { ...td.raw, taskDefinitionArn: td.arn, family: td.family, revision: td.revision, status: 'ACTIVE' };
  }

  describeTask(t: SimTask) {
    return {
      taskArn: t.taskArn,
      clusterArn: t.clusterArn,
      taskDefinitionArn: t.taskDefinitionArn,
      startedBy: t.startedBy,
      group: t.group,
      lastStatus: t.lastStatus,
      desiredStatus: t.desiredStatus,
      cpu: t.cpu,
      memory: t.memory,
      launchType: 'FARGATE',
      capacityProviderName: t.capacityProviderName,
      platformVersion: '1.4.0',
      ephemeralStorage: { sizeInGiB: t.ephemeralStorageGiB },
      attributes: [{ name: 'ecs.cpu-architecture', value: t.cpuArchitecture }],
      createdAt: t.createdAt,
      pullStartedAt: t.pullStartedAt,
      pullStoppedAt: t.pullStoppedAt,
      startedAt: t.startedAt,
      stoppingAt: t.stoppingAt,
      stoppedAt: t.stoppedAt,
      stopCode: t.stopCode,
      stoppedReason: t.stoppedReason,
      containers: t.containers.map(({ containerArn, name, image, lastStatus, exitCode, reason, taskArn }) => ({ containerArn, name, image, lastStatus, exitCode, reason, taskArn })),
      overrides: t.overrides,
      tags: t.tags,
      version: t.version,
    };
  }
}

/** `ephemeralStorage.sizeInGiB` of a task definition or a RunTask override, when set. */
function ephemeralStorageOf(source: unknown): number | undefined {
  const size = (source as { ephemeralStorage?: { sizeInGiB?: unknown } } | undefined)?.ephemeralStorage?.sizeInGiB;
  return typeof size === 'number' ? size : undefined;
}
