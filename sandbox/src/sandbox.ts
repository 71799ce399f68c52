import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateClusterCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { CreateEventBusCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { DeleteParameterCommand, GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { buildIdentity, fleetDescriptorParam, type FleetDescriptor, type RunnerRecord } from '@runner-fleet/core';
import { RunnerStore, runnerTableDefinition } from '@runner-fleet/core/store';
import { buildDeps, createHandler, createLogger } from '@runner-fleet/lambda';
import { toApiGatewayEvent } from './api-gateway.js';
import { createDynamoDb } from './aws/dynamodb.js';
import { DynamoDbStreamSimulator } from './aws/dynamodb-stream.js';
import { loadStreamMappings } from './stream-mapping.js';
import { DEFAULT_ECS_RATES, EcsSimulator } from './aws/ecs.js';
import { EventBridgeSimulator } from './aws/eventbridge.js';
import { ACCOUNT_ID, AwsError, decodeRequest, readBody, sendAwsError, sendJson, type JsonService } from './aws/protocol.js';
import { AwsCallLog, OPERATOR_ACCESS_KEY_ID, principalOf, resourceMembers, RUNNER_TASK_ACCESS_KEY_ID, SETUP_ACCESS_KEY_ID } from './aws/call-log.js';
import { CodeBuildSimulator } from './aws/codebuild.js';
import { EcrSimulator } from './aws/ecr.js';
import { LambdaSimulator } from './aws/lambda.js';
import { LogsSimulator } from './aws/logs.js';
import { SqsSimulator } from './aws/sqs.js';
import { handleStsQuery, isQueryRequest } from './aws/sts.js';
import { buildContextHash, pinnedRunnerVersion } from './context-hash.js';
import { SsmSimulator } from './aws/ssm.js';
import { CONTROL_PLANE_DEFAULTS, CONTROL_PLANE_NAMES, DEFAULT_CLASS_SIZES, DEFAULT_WEBHOOK_SECRET, FLEET_NAME_PREFIX, FUNCTION_ARN, FUNCTION_NAME, LAMBDA_LOG_GROUP, RUNNER_LOG_GROUP, SANDBOX_PAT, SANDBOX_REGION } from './defaults.js';
import { loadEventPatterns } from './event-patterns.js';
import { logErrorsToLogGroup } from './lambda-log-group.js';
import { Autopilot, type AutopilotChaos } from './github/autopilot.js';
import { DEFAULT_GITHUB_RATE_LIMITS, GitHubSimulator } from './github/github-simulator.js';
import { WebhookSender } from './github/webhooks.js';
import { API_GATEWAY_MAX_PAYLOAD_BYTES, readBodyWithin, refuseTooLarge } from './limited-body.js';

type Env = Record<string, string | undefined>;

/** How long stop() waits for control-plane invocations that are still running. */
const STOP_GRACE_MS = 10_000;

const SERVICE_NAMES: Record<string, string> = {
  AmazonEC2ContainerServiceV20141113: 'ECS',
  AmazonSSM: 'SSM',
  AWSEvents: 'EventBridge',
  Logs_20140328: 'Logs',
  AmazonEC2ContainerRegistry_V20150921: 'ECR',
  CodeBuild_20161006: 'CodeBuild',
  AmazonSQS: 'SQS',
};

export interface SandboxOptions {
  /** Settings as environment variables (PORT, WEBHOOK_SECRET, SANDBOX_*, and any DESIGN §7 name); defaults apply to the rest. */
  env?: Env;
  /** Lambda log level; SILENT for tests. */
  logLevel?: string;
  /** Called for autopilot and delivery problems (default: stderr). */
  onError?: (message: string, error: unknown) => void;
  /** Redeliveries and out-of-order deliveries by the simulated GitHub (the storm). */
  chaos?: AutopilotChaos;
  /** Which control plane runs: the TypeScript source (default) or the built bundle (SANDBOX_LAMBDA=bundle). */
  lambda?: 'source' | 'bundle';
}

export interface Sandbox {
  webhookUrl: string;
  endpoint: string;
  /** The control plane's environment (DESIGN §7). */
  controlPlaneEnv: Record<string, string>;
  /** What the CLI needs, as `export` lines print it. */
  cliEnv: Record<string, string>;
  webhookSecret: string;
  ecs: EcsSimulator;
  ssm: SsmSimulator;
  logs: LogsSimulator;
  /** The control-plane function as Lambda's API describes it (its environment can be edited). */
  lambdaFunction: LambdaSimulator;
  /** The dead-letter queue (its depth counts the events the bus dead-lettered). */
  sqs: SqsSimulator;
  /** The fleet descriptor the sandbox wrote to SSM (as Terraform writes /<name_prefix>/fleet). */
  descriptor: FleetDescriptor;
  ecr: EcrSimulator;
  codebuild: CodeBuildSimulator;
  bus: EventBridgeSimulator;
  /** The runner table's stream and its event source mapping (the hand-off from ingress to dispatch). */
  stream: DynamoDbStreamSimulator;
  github: GitHubSimulator;
  autopilot: Autopilot;
  webhooks: WebhookSender;
  store: RunnerStore;
  /** DynamoDB fault injection: the next N UpdateItem calls on runner records answer 500 (the DynamoDB client makes 4 attempts per call). */
  dynamoFaults: { updateItemFailures: number; putItemFailures: number };
  /** Every runner record in the table (a full scan). */
  allRecords(): Promise<RunnerRecord[]>;
  /** Runs the control plane's scheduled housekeeping once, as the one-minute schedule would. */
  runHousekeeping(): Promise<void>;
  /** Subscribes to every record write (a stream of new images); returns an unsubscribe function. */
  onRecordWrite(listener: (record: RunnerRecord) => void): () => void;
  /** The EMF metrics the control plane wrote, and their sum per metric name: fleet-wide, or of one `reason` (LaunchFailures is written both ways). */
  metrics: { lines: Array<Record<string, unknown>>; total(name: string, reason?: string): number };
  /** AWS calls per `Service.Operation`, as received on the wire. */
  awsCalls: Record<string, number>;
  /** With SANDBOX_RECORD_REQUESTS=1: every AWS and GitHub API request the simulators received, with the answer. */
  requests: RecordedExchange[];
  resetCounters(): void;
  /** Resolves once neither the bus nor the stream holds an event or record to deliver (tasks may still be starting). */
  dispatchIdle(): Promise<void>;
  /** Everything the dead-letter queue received: events the bus gave up on and the stream mapping's on-failure records. */
  deadLetters(): unknown[];
  /** Lambda invocations that failed (threw, or reported failed records), from the bus and the stream. */
  failedInvocations(): number;
  /** Resolves once no event, task transition, job or webhook is in flight. */
  settle(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** One request to a simulator (AWS `Service.Operation`, or `GitHub <METHOD> <path>`) and what it answered. */
export interface RecordedExchange {
  to: string;
  request: string;
  response: string;
}

/** True for an UpdateItem on a runner record (not the capacity ledger, an image build or a delivery marker). */
function updatesRunnerRecord(body: Buffer): boolean {
  const key = (JSON.parse(body.toString('utf8')) as { Key?: { runnerId?: { S?: string } } }).Key?.runnerId?.S ?? '';
  return !key.includes('#');
}

/** True for a PutItem of a runner record (ingress's one write for a queued job), not of a marker. */
function putsRunnerRecord(body: Buffer): boolean {
  const key = (JSON.parse(body.toString('utf8')) as { Item?: { runnerId?: { S?: string } } }).Item?.runnerId?.S ?? '';
  return key !== '' && !key.includes('#');
}

/** The `action` of a delivery's payload (JSON or form-encoded), when it has one. */
function deliveryAction(body: Buffer): string | undefined {
  try {
    const text = body.toString('utf8');
    const json = text.startsWith('payload=') ? new URLSearchParams(text).get('payload') ?? '' : text;
    const action = (JSON.parse(json) as { action?: unknown }).action;
    return typeof action === 'string' ? action : undefined;
  } catch {
    return undefined;
  }
}

function flag(value: string | undefined, fallback: boolean): boolean {
  return value === undefined || value === '' ? fallback : !['0', 'false', 'off', 'no'].includes(value.toLowerCase());
}

function parseJsonObject(body: Buffer): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function number(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number ≥ 0 (got "${raw}")`);
  return value;
}

type ControlPlane = { createHandler: typeof createHandler; buildDeps: typeof buildDeps };

/** The source, or the esbuild bundle (`npm run build -w lambda`) exactly as the Lambda zip holds it. */
async function loadControlPlane(which: string | undefined, bundleDir: string | undefined): Promise<ControlPlane> {
  if (!which || which === 'source') return { createHandler, buildDeps };
  if (which !== 'bundle') throw new Error(`SANDBOX_LAMBDA must be "source" or "bundle" (got "${which}")`);
  const entry = join(bundleDir ?? fileURLToPath(new URL('../../lambda/dist', import.meta.url)), 'index.mjs');
  if (!existsSync(entry)) throw new Error(`SANDBOX_LAMBDA=bundle needs ${entry}: run npm run build -w lambda first`);
  return (await import(pathToFileURL(entry).href)) as ControlPlane;
}

/** Starts the whole control plane on 127.0.0.1 with simulated AWS and GitHub (DESIGN §9). */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const env: Env = { ...options.env };
  const port = number(env, 'PORT', 8787);
  const webhookSecret = env.WEBHOOK_SECRET || DEFAULT_WEBHOOK_SECRET;
  const onError = options.onError ?? ((message: string, error: unknown) => console.error(`sandbox: ${message}`, error));
  const awsCalls: Record<string, number> = {};
  const requests: RecordedExchange[] = [];
  const recordRequests = flag(env.SANDBOX_RECORD_REQUESTS, false);
  const dynamoFaults = { updateItemFailures: 0, putItemFailures: 0 };

  const bus = new EventBridgeSimulator(SANDBOX_REGION, { maxAttempts: 3, retryBaseMs: number(env, 'SANDBOX_RETRY_MS', 200) });
  // ECS's and Fargate's rate quotas (AWS's numbers by default): RunTask calls, and Fargate task launches.
  const ecs = new EcsSimulator(SANDBOX_REGION, bus, { taskStartMs: number(env, 'SANDBOX_TASK_START_MS', 500) }, {
    runTaskRate: number(env, 'SANDBOX_RUNTASK_RATE', DEFAULT_ECS_RATES.runTaskRate),
    runTaskBurst: number(env, 'SANDBOX_RUNTASK_BURST', DEFAULT_ECS_RATES.runTaskBurst),
    launchRate: number(env, 'SANDBOX_FARGATE_LAUNCH_RATE', DEFAULT_ECS_RATES.launchRate),
    launchBurst: number(env, 'SANDBOX_FARGATE_LAUNCH_BURST', DEFAULT_ECS_RATES.launchBurst),
  });
  const ssm = new SsmSimulator(SANDBOX_REGION);
  const logs = new LogsSimulator();
  const dynamodb = createDynamoDb();
  const controlPlaneEnv: Record<string, string> = { ...CONTROL_PLANE_DEFAULTS };
  for (const name of CONTROL_PLANE_NAMES) if (env[name] !== undefined) controlPlaneEnv[name] = env[name]!;
  // As Terraform sets it (image_identity): runner/ inputs, the architecture and the pinned runner version.
  const runnerDir = fileURLToPath(new URL('../../runner', import.meta.url));
  controlPlaneEnv.IMAGE_CONTEXT_HASH ??= buildIdentity(buildContextHash(runnerDir), 'X86_64', pinnedRunnerVersion(runnerDir));
  const callLog = env.SANDBOX_AWS_CALL_LOG ? new AwsCallLog(env.SANDBOX_AWS_CALL_LOG, { region: SANDBOX_REGION, account: ACCOUNT_ID, controlPlaneEnv }) : undefined;
  // The default runner image is in ECR, as if pushed; images for image: labels appear only after a build.
  const repositoryName = controlPlaneEnv.ECR_REPOSITORY_URL!.split('/').slice(1).join('/');
  const ecr = new EcrSimulator();
  ecr.createRepository(repositoryName);
  // SANDBOX_DEFAULT_IMAGE=0: the default image was never pushed (the first job builds it when builds are on).
  if (flag(env.SANDBOX_DEFAULT_IMAGE, true)) ecr.push(repositoryName, controlPlaneEnv.RUNNER_IMAGE_TAG ?? 'latest');
  const codebuild = new CodeBuildSimulator(SANDBOX_REGION, bus, ecr, repositoryName, number(env, 'SANDBOX_BUILD_MS', 2000));
  if (controlPlaneEnv.IMAGE_BUILD_PROJECT) codebuild.projects.add(controlPlaneEnv.IMAGE_BUILD_PROJECT);
  // The runner table's stream (NEW_IMAGE, as Terraform enables it): ingress's one write is the hand-off.
  const stream = new DynamoDbStreamSimulator(SANDBOX_REGION, controlPlaneEnv.RUNNER_TABLE!, 'NEW_IMAGE', number(env, 'SANDBOX_RETRY_MS', 200), (violations) =>
    onError('a stream record breaks the dynamodbstreams model', new Error(violations.join('; '))),
  );
  dynamodb.onChange((change) => stream.append(change));
  const sqs = new SqsSimulator(SANDBOX_REGION, `${FLEET_NAME_PREFIX}-dead-letter`, () => bus.deadLetters.length + stream.failures.length);
  const services = new Map<string, JsonService>([ecs.service(), ssm.service(), bus.service(), logs.service(), ecr.service(), codebuild.service(), sqs.service()].map((s) => [s.targetPrefix, s]));
  const useApp = (env.SANDBOX_GITHUB_AUTH ?? 'pat').toLowerCase() === 'app';
  const appKeys = useApp ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : undefined;
  const installationId = 31415926;
  const rateLimitStatus = env.SANDBOX_GITHUB_RATE_LIMIT_STATUS ?? '403';
  if (rateLimitStatus !== '403' && rateLimitStatus !== '429') throw new Error(`SANDBOX_GITHUB_RATE_LIMIT_STATUS must be 403 or 429 (got "${rateLimitStatus}")`);
  const github = new GitHubSimulator(
    controlPlaneEnv.GITHUB_REPO!,
    {
      token: useApp ? undefined : SANDBOX_PAT,
      app: appKeys ? { appId: '271828', publicKeyPem: appKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString(), installationId } : undefined,
    },
    // GitHub's REST limits (its documented numbers by default; the content-creation limit is off unless set).
    {
      limit: number(env, 'SANDBOX_GITHUB_RATE_LIMIT', DEFAULT_GITHUB_RATE_LIMITS.limit),
      windowMs: number(env, 'SANDBOX_GITHUB_RATE_WINDOW_MS', DEFAULT_GITHUB_RATE_LIMITS.windowMs),
      status: rateLimitStatus === '429' ? 429 : 403,
      maxConcurrent: number(env, 'SANDBOX_GITHUB_MAX_CONCURRENT', DEFAULT_GITHUB_RATE_LIMITS.maxConcurrent),
      contentPerMinute: number(env, 'SANDBOX_GITHUB_CONTENT_PER_MINUTE', DEFAULT_GITHUB_RATE_LIMITS.contentPerMinute),
      contentPerHour: number(env, 'SANDBOX_GITHUB_CONTENT_PER_HOUR', DEFAULT_GITHUB_RATE_LIMITS.contentPerHour),
      latencyMs: number(env, 'SANDBOX_GITHUB_LATENCY_MS', DEFAULT_GITHUB_RATE_LIMITS.latencyMs),
    },
  );

  const lambdaFunction = new LambdaSimulator(SANDBOX_REGION, FUNCTION_NAME);
  let handleWebhook: (req: IncomingMessage, res: ServerResponse, body: Buffer) => Promise<void> = async (_req, res) => {
    res.writeHead(503).end();
  };
  const server: Server = createServer((req, res) => {
    void route(req, res).catch((error: unknown) => {
      onError('request failed', error);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    if (url.startsWith('/github/') || url === '/github') {
      const body = await readBody(req);
      if (recordRequests) recordResponse(res, { to: `GitHub ${req.method} ${url}`, request: body.toString('utf8'), response: '' });
      return github.handle(req, res, url.slice('/github'.length) || '/', body);
    }
    if (req.method === 'POST' && (url === '/webhook' || url.startsWith('/webhook?'))) {
      const body = await readBodyWithin(req, API_GATEWAY_MAX_PAYLOAD_BYTES);
      return body === 'too-large' ? refuseTooLarge(req, res, API_GATEWAY_MAX_PAYLOAD_BYTES) : handleWebhook(req, res, body);
    }
    if (lambdaFunction.handles(req.method ?? '', url)) {
      awsCalls['Lambda.GetFunctionConfiguration'] = (awsCalls['Lambda.GetFunctionConfiguration'] ?? 0) + 1;
      return lambdaFunction.handle(res, url);
    }
    const target = req.headers['x-amz-target'];
    if (req.method === 'POST' && target === undefined) {
      const body = await readBody(req);
      if (isQueryRequest(req.headers['content-type'], body)) {
        const action = new URLSearchParams(body.toString('utf8')).get('Action');
        awsCalls[`STS.${action}`] = (awsCalls[`STS.${action}`] ?? 0) + 1;
        return handleStsQuery(res, body);
      }
    }
    if (req.method === 'POST' && typeof target === 'string') {
      const [prefix, operation = ''] = target.split('.');
      const service = prefix!.startsWith('DynamoDB_') ? 'DynamoDB' : (SERVICE_NAMES[prefix!] ?? prefix!);
      awsCalls[`${service}.${operation}`] = (awsCalls[`${service}.${operation}`] ?? 0) + 1;
      const body = await readBody(req);
      callLog?.record({ service, operation, principal: principalOf(req.headers.authorization, process.env.AWS_ACCESS_KEY_ID), resources: resourceMembers(parseJsonObject(body)) });
      if (recordRequests) recordResponse(res, { to: `${service}.${operation}`, request: body.toString('utf8'), response: '' });
      if (prefix!.startsWith('DynamoDB_')) {
        if (operation === 'UpdateItem' && dynamoFaults.updateItemFailures > 0 && updatesRunnerRecord(body)) {
          dynamoFaults.updateItemFailures--;
          return sendAwsError(res, new AwsError('InternalServerError', 'Internal server error (injected by the sandbox)', 500));
        }
        if (operation === 'PutItem' && dynamoFaults.putItemFailures > 0 && putsRunnerRecord(body)) {
          dynamoFaults.putItemFailures--;
          return sendAwsError(res, new AwsError('InternalServerError', 'Internal server error (injected by the sandbox)', 500));
        }
        return dynamodb.handle(req, res, body, operation);
      }
      const sim = services.get(prefix!);
      const op = sim?.operations[operation];
      if (!op) return sendAwsError(res, new AwsError('UnknownOperationException', `The sandbox does not simulate ${target}`));
      try {
        sendJson(res, 200, await op(decodeRequest(prefix!, operation, body)));
      } catch (error) {
        if (error instanceof AwsError) return sendAwsError(res, error);
        throw error;
      }
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: `nothing at ${req.method} ${url}` }));
  }

  /** Keeps the exchange, with the answer's body as it leaves (whatever writes it: a simulator, dynalite). */
  function recordResponse(res: ServerResponse, exchange: RecordedExchange): void {
    requests.push(exchange);
    const write = res.write.bind(res) as (chunk: unknown, ...rest: unknown[]) => boolean;
    const end = res.end.bind(res) as (chunk?: unknown, ...rest: unknown[]) => ServerResponse;
    const keep = (chunk: unknown) => {
      if (typeof chunk === 'string' || Buffer.isBuffer(chunk)) exchange.response += chunk.toString();
    };
    res.write = ((chunk: unknown, ...rest: unknown[]) => (keep(chunk), write(chunk, ...rest))) as typeof res.write;
    res.end = ((chunk?: unknown, ...rest: unknown[]) => (typeof chunk !== 'function' && keep(chunk), end(chunk, ...rest))) as typeof res.end;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  controlPlaneEnv.GITHUB_API_URL = env.GITHUB_API_URL ?? `${endpoint}/github`;
  Object.assign(controlPlaneEnv, { AWS_ENDPOINT_URL: endpoint, AWS_REGION: SANDBOX_REGION, LOG_LEVEL: options.logLevel ?? env.LOG_LEVEL ?? 'WARN' });
  // The SDK's default credential chain reads these; the simulators accept any.
  process.env.AWS_ACCESS_KEY_ID ??= 'sandbox';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'sandbox';

  sqs.serveAt(endpoint);
  // What Terraform writes to /<name_prefix>/fleet, with the sandbox's names.
  const runnerVersion = pinnedRunnerVersion(runnerDir);
  const descriptor: FleetDescriptor = {
    version: 1,
    namePrefix: FLEET_NAME_PREFIX,
    runnerNamePrefix: controlPlaneEnv.RUNNER_NAME_PREFIX!,
    region: SANDBOX_REGION,
    runnerTable: controlPlaneEnv.RUNNER_TABLE!,
    classSizesParam: controlPlaneEnv.CLASS_SIZES_PARAM!,
    githubAuthParam: controlPlaneEnv.GITHUB_AUTH_PARAM!,
    cluster: controlPlaneEnv.ECS_CLUSTER!,
    lambdaFunction: FUNCTION_NAME,
    lambdaLogGroup: LAMBDA_LOG_GROUP,
    runnerLogGroup: RUNNER_LOG_GROUP,
    eventBus: controlPlaneEnv.EVENT_BUS_NAME!,
    deadLetterQueueUrl: sqs.queueUrl,
    deadLetterQueueArn: sqs.queueArn,
    webhookUrl: `${endpoint}/webhook`,
    github: { apiUrl: controlPlaneEnv.GITHUB_API_URL, repo: controlPlaneEnv.GITHUB_REPO!, scope: 'repo' },
    runnerVersion,
    maxRunners: Number(controlPlaneEnv.MAX_RUNNERS),
  };
  lambdaFunction.deploy(controlPlaneEnv);
  // The repository's webhook points at the sandbox, and actions/runner's latest release is the pinned one.
  github.addHook(descriptor.webhookUrl);
  github.runnerReleases.push({ version: runnerVersion, publishedAt: new Date(Date.now() - 7 * 86_400_000).toISOString() });
  logs.write(LAMBDA_LOG_GROUP, '2026/01/01/[$LATEST]sandbox', []);

  // Its own credentials, so the call log (SANDBOX_AWS_CALL_LOG) tells set-up from the control plane's calls.
  const clientConfig = { endpoint, region: SANDBOX_REGION, credentials: { accessKeyId: SETUP_ACCESS_KEY_ID, secretAccessKey: 'sandbox' } };
  const dynamoClient = new DynamoDBClient(clientConfig);
  try {
    await provision();
  } catch (error) {
    server.close();
    await dynamodb.close();
    throw error;
  }

  async function provision(): Promise<void> {
    await dynamoClient.send(
      new CreateTableCommand(runnerTableDefinition(controlPlaneEnv.RUNNER_TABLE!)),
    );
    const ssmClient = new SSMClient(clientConfig);
    const classSizes = env.SANDBOX_CLASS_SIZES ?? JSON.stringify(DEFAULT_CLASS_SIZES);
    const githubAuth = appKeys
      ? JSON.stringify({ appId: 271828, privateKey: appKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() })
      : SANDBOX_PAT;
    await ssmClient.send(new PutParameterCommand({ Name: controlPlaneEnv.CLASS_SIZES_PARAM, Type: 'String', Value: classSizes }));
    await ssmClient.send(new PutParameterCommand({ Name: controlPlaneEnv.GITHUB_AUTH_PARAM, Type: 'SecureString', Value: githubAuth }));
    await ssmClient.send(new PutParameterCommand({ Name: controlPlaneEnv.WEBHOOK_SECRET_PARAM, Type: 'SecureString', Value: env.WEBHOOK_SECRETS ?? webhookSecret }));
    await ssmClient.send(new PutParameterCommand({ Name: fleetDescriptorParam(descriptor.namePrefix), Type: 'String', Value: JSON.stringify(descriptor) }));

    const ecsClient = new ECSClient(clientConfig);
    const cluster = await ecsClient.send(new CreateClusterCommand({ clusterName: controlPlaneEnv.ECS_CLUSTER, capacityProviders: ['FARGATE', 'FARGATE_SPOT'] }));
    await ecsClient.send(
      new RegisterTaskDefinitionCommand({
        family: controlPlaneEnv.RUNNER_TASK_DEFINITION,
        // The roles Terraform gives it (modules/ecs-fleet/iam.tf): image task definitions copy them.
        executionRoleArn: `arn:aws:iam::${ACCOUNT_ID}:role/runner-fleet-task-execution`,
        taskRoleArn: `arn:aws:iam::${ACCOUNT_ID}:role/runner-fleet-runner-task`,
        requiresCompatibilities: ['FARGATE'],
        networkMode: 'awsvpc',
        cpu: '512',
        memory: '1024',
        containerDefinitions: [
          {
            name: controlPlaneEnv.RUNNER_CONTAINER_NAME!,
            image: `${controlPlaneEnv.ECR_REPOSITORY_URL}:latest`,
            essential: true,
            logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': RUNNER_LOG_GROUP, 'awslogs-region': SANDBOX_REGION, 'awslogs-stream-prefix': 'runner' } },
          },
        ],
      }),
    );

    const events = new EventBridgeClient(clientConfig);
    await events.send(new CreateEventBusCommand({ Name: controlPlaneEnv.EVENT_BUS_NAME }));
    const patterns = loadEventPatterns({
      cluster_arn: cluster.cluster!.clusterArn!,
      runner_name_prefix: controlPlaneEnv.RUNNER_NAME_PREFIX!,
      image_build_project: controlPlaneEnv.IMAGE_BUILD_PROJECT || 'image-builds-disabled',
    });
    const rules: Array<[string, string | undefined, Record<string, unknown>]> = [
      ['workflow-job', controlPlaneEnv.EVENT_BUS_NAME, patterns.workflow_job!],
      ['task-state', undefined, patterns.task_state!],
      ...(controlPlaneEnv.IMAGE_BUILD_PROJECT ? ([['image-build', undefined, patterns.image_build!]] as Array<[string, string | undefined, Record<string, unknown>]>) : []),
    ];
    for (const [name, busName, pattern] of rules) {
      await events.send(new PutRuleCommand({ Name: `runner-fleet-${name}`, EventBusName: busName, EventPattern: JSON.stringify(pattern) }));
      await events.send(new PutTargetsCommand({ Rule: `runner-fleet-${name}`, EventBusName: busName, Targets: [{ Id: 'control-plane', Arn: FUNCTION_ARN }] }));
    }
  }

  // The control plane: the real handler, unchanged, with the sandbox's environment.
  const logger = logErrorsToLogGroup(createLogger(controlPlaneEnv), logs, LAMBDA_LOG_GROUP, '2026/01/01/[$LATEST]sandbox');
  const metricLines: Array<Record<string, unknown>> = [];
  const writeMetrics = (line: string) => void metricLines.push(JSON.parse(line) as Record<string, unknown>);
  const lambda = await loadControlPlane(options.lambda ?? env.SANDBOX_LAMBDA, env.SANDBOX_LAMBDA_DIR);
  const invoke = lambda.createHandler(() => lambda.buildDeps(controlPlaneEnv, logger, { githubRetryBaseMs: 50, writeMetrics }), logger);
  // Invocations still running, so stop() lets them finish (their AWS calls go through this server).
  const inFlight = new Set<Promise<unknown>>();
  const handler = (event: Parameters<typeof invoke>[0]): Promise<unknown> => {
    const run = Promise.resolve(invoke(event));
    inFlight.add(run);
    void run.then(
      () => inFlight.delete(run),
      () => inFlight.delete(run),
    );
    return run;
  };
  bus.registerFunction(FUNCTION_ARN, (event) => handler(event as never));
  // The event source mappings (modules/control-plane/stream-mapping.json, as Terraform creates them); their on-failure destination is the dead-letter queue.
  for (const mapping of loadStreamMappings()) stream.map({ ...mapping, functionArn: FUNCTION_ARN, onFailure: (message) => void stream.failures.push(message) }, (event) => handler(event as never));
  handleWebhook = async (req, res, body) => {
    const result = (await handler(toApiGatewayEvent(req, body))) as { statusCode: number; headers?: Record<string, string>; body?: string };
    res.writeHead(result.statusCode, result.headers ?? {}).end(result.body ?? '');
    // The repository's hook logs every delivery and the fleet's answer, as GitHub's Recent deliveries shows it.
    const event = req.headers['x-github-event'];
    if (typeof event === 'string') github.recordDelivery({ guid: String(req.headers['x-github-delivery'] ?? ''), event, action: deliveryAction(body), statusCode: result.statusCode });
    // A queued job sent from outside (npm run sandbox:send, a test) becomes a job the simulated GitHub knows.
    if (result.statusCode === 202 && req.headers['x-github-event'] === 'workflow_job') autopilot.adoptDeliveredJob(body, req.headers['content-type']);
  };

  // The runner tasks' own SSM client (their task role), over the wire like every AWS call.
  const runnerSsm = new SSMClient({ ...clientConfig, credentials: { accessKeyId: RUNNER_TASK_ACCESS_KEY_ID, secretAccessKey: 'sandbox' } });
  const webhooks = new WebhookSender(`${endpoint}/webhook`, webhookSecret);
  const autopilot = new Autopilot(github, ecs, webhooks, logs, {
    enabled: flag(env.SANDBOX_AUTOPILOT, true),
    jobMs: number(env, 'SANDBOX_JOB_MS', 3000),
    pickupMs: number(env, 'SANDBOX_PICKUP_MS', 200),
    containerName: controlPlaneEnv.RUNNER_CONTAINER_NAME!,
    logGroup: RUNNER_LOG_GROUP,
    installationId: useApp ? installationId : undefined,
    onError,
    chaos: options.chaos,
    takeJitConfig: (name) => takeJitConfig(runnerSsm, name),
  });
  const store = new RunnerStore(DynamoDBDocumentClient.from(dynamoClient, { marshallOptions: { removeUndefinedValues: true } }), {
    tableName: controlPlaneEnv.RUNNER_TABLE!,
    retentionDays: 30,
  });

  const resetCounters = () => {
    for (const key of Object.keys(awsCalls)) delete awsCalls[key];
    requests.length = 0;
    for (const key of Object.keys(github.calls)) delete github.calls[key];
    metricLines.length = 0;
  };
  resetCounters();

  const runHousekeeping = async () => {
    await handler({ version: '0', id: 'housekeeping', 'detail-type': 'Scheduled Event', source: 'aws.events', account: '000000000000', time: new Date().toISOString(), region: SANDBOX_REGION, resources: [], detail: {} } as never);
  };
  // The schedule rule's rate(1 minute); SANDBOX_HOUSEKEEPING_MS=0 turns it off (tests run housekeeping themselves).
  const housekeepingMs = number(env, 'SANDBOX_HOUSEKEEPING_MS', 60_000);
  let housekeepingRun: Promise<void> = Promise.resolve();
  const schedule = housekeepingMs > 0
    ? setInterval(() => {
        housekeepingRun = housekeepingRun.then(runHousekeeping).catch((error: unknown) => onError('housekeeping failed', error));
      }, housekeepingMs)
    : undefined;

  return {
    webhookUrl: `${endpoint}/webhook`,
    endpoint,
    controlPlaneEnv,
    cliEnv: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: SANDBOX_REGION,
      AWS_ACCESS_KEY_ID: OPERATOR_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: 'sandbox',
      RUNNER_TABLE: controlPlaneEnv.RUNNER_TABLE!,
      CLASS_SIZES_PARAM: controlPlaneEnv.CLASS_SIZES_PARAM!,
      RUNNER_LOG_GROUP,
      MAX_RUNNERS: controlPlaneEnv.MAX_RUNNERS!,
      ECSRUNNER_FLEET: FLEET_NAME_PREFIX,
    },
    webhookSecret,
    ecs,
    ssm,
    logs,
    lambdaFunction,
    sqs,
    descriptor,
    ecr,
    codebuild,
    bus,
    stream,
    github,
    autopilot,
    webhooks,
    store,
    awsCalls,
    requests,
    dynamoFaults,
    metrics: {
      lines: metricLines,
      total: (name, reason) =>
        metricLines.filter((l) => l.reason === reason).reduce((sum, l) => sum + (typeof l[name] === 'number' ? (l[name] as number) : Array.isArray(l[name]) ? (l[name] as number[]).reduce((a, b) => a + b, 0) : 0), 0),
    },
    runHousekeeping,
    async allRecords() {
      const records: RunnerRecord[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await store.scanPage({ startKey });
        records.push(...page.records);
        startKey = page.nextKey;
      } while (startKey);
      return records;
    },
    resetCounters,
    async dispatchIdle() {
      // A write's answer can be out before its change is in the stream: wait for the change, then its delivery.
      do {
        await dynamodb.whenRecorded();
        await Promise.all([bus.whenIdle(), stream.whenIdle()]);
      } while (bus.pending > 0 || stream.pending > 0);
    },
    deadLetters: () => [...bus.deadLetters, ...stream.failures],
    failedInvocations: () => bus.failedAttempts + stream.invocations.failed,
    onRecordWrite: (listener) =>
      dynamodb.onWrite(({ table, item }) => {
        if (table === controlPlaneEnv.RUNNER_TABLE && typeof item.status === 'string' && item.kind === undefined) listener(item as unknown as RunnerRecord);
      }),
    async settle(timeoutMs = 30_000 * (Number(process.env.TEST_TIME_SCALE) > 0 ? Number(process.env.TEST_TIME_SCALE) : 1)) {
      const deadline = Date.now() + timeoutMs;
      let quietRounds = 0;
      // Quiet twice in a row: a delivery can schedule a timer that schedules a delivery.
      while (quietRounds < 2) {
        if (Date.now() > deadline) throw new Error(`sandbox did not settle within ${timeoutMs} ms (bus ${bus.pending}, stream ${stream.pending}, ecs ${ecs.pendingTransitions}, autopilot ${autopilot.busy})`);
        await dynamodb.whenRecorded();
        await Promise.all([bus.whenIdle(), stream.whenIdle()]);
        const quiet = bus.pending === 0 && stream.pending === 0 && ecs.pendingTransitions === 0 && codebuild.pending === 0 && !autopilot.busy && webhooks.inFlight === 0;
        quietRounds = quiet ? quietRounds + 1 : 0;
        await new Promise((resolve) => setTimeout(resolve, quiet ? 2 : 10));
      }
    },
    async stop() {
      clearInterval(schedule);
      await housekeepingRun;
      autopilot.close();
      ecs.close();
      codebuild.close();
      // Let running invocations and the bus's pending deliveries (and retries) end, up to a bound:
      // their AWS calls go through this server.
      const deadline = Date.now() + STOP_GRACE_MS;
      while ((inFlight.size > 0 || bus.pending > 0 || stream.pending > 0 || autopilot.busy) && Date.now() < deadline) {
        await Promise.race([Promise.allSettled([...inFlight, bus.whenIdle(), stream.whenIdle()]), new Promise((r) => setTimeout(r, 100))]);
      }
      bus.close();
      stream.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await dynamodb.close();
    },
  };
}

/** runner/entrypoint.sh's start-up, as the simulated runner process does it: read the SecureString, delete it, then run. */
async function takeJitConfig(ssm: SSMClient, name: string): Promise<string | undefined> {
  try {
    const out = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    await ssm.send(new DeleteParameterCommand({ Name: name }));
    return out.Parameter?.Value;
  } catch (error) {
    if ((error as { name?: string }).name === 'ParameterNotFound') return undefined;
    throw error;
  }
}
