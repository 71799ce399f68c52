import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseClassSizes, type LabelPolicy } from '@runner-fleet/core';
import { RunnerStore } from '@runner-fleet/core/store';
import { createFleetMetrics } from '../adapters/metrics.js';
import { createJitSecrets } from '../adapters/jit-secrets.js';
import { createParameterReader } from '../adapters/parameters.js';
import { readConfig } from '../config.js';
import type { Deps, EventPublisher, GitHubBudget, GitHubRunners, RunnerImages, RunnerTasks } from '../domain/ports.js';
import { deferred, lazy, namedExports } from './lazy.js';
import type { Log } from './logger.js';

type Env = Record<string, string | undefined>;

/** Parameters (secrets, class sizes) are re-read after this long, so rotation needs no redeploy. */
const PARAMETER_TTL_MS = 5 * 60 * 1000;

/** AWS endpoints come from the SDK's own variables; reading them from `env` lets the sandbox host several fleets. */
function clientConfig(env: Env, service: string) {
  const endpoint = env[`AWS_ENDPOINT_URL_${service}`] ?? env.AWS_ENDPOINT_URL;
  return { ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}), ...(endpoint ? { endpoint } : {}) };
}

/** Powertools' own switch for metrics. */
const metricsOff = (env: Env) => ['1', 'true', 'yes', 'on'].includes((env.POWERTOOLS_METRICS_DISABLED ?? '').toLowerCase());

/** Everything the routes need, built once per cold start. Config problems fail here, all at once. */
export async function buildDeps(env: Env, log: Log, overrides: { githubRetryBaseMs?: number; writeMetrics?: (emfLine: string) => void } = {}): Promise<Deps> {
  const config = readConfig(env);
  const ssm = new SSMClient(clientConfig(env, 'SSM'));
  const readParameter = createParameterReader(ssm, PARAMETER_TTL_MS);
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig(env, 'DYNAMODB')), {
    marshallOptions: { removeUndefinedValues: true },
  });

  // What only dispatch, task-state and housekeeping use loads on first use, so a webhook's cold start skips it.
  // namedExports: in the bundle a dynamic import of a CommonJS SDK client yields only `default`.
  const ecs = lazy(async () => {
    const { ECSClient } = namedExports(await import('@aws-sdk/client-ecs'), 'ECSClient');
    // Adaptive: a throttled client slows its own sending rate (RunTask allows about 20 calls a second per account).
    return new ECSClient({ ...clientConfig(env, 'ECS'), retryMode: 'adaptive', maxAttempts: 5 });
  });
  const githubBudget = deferred<GitHubBudget>(async () =>
    (await import('../adapters/github-budget-store.js')).createGitHubBudgetStore({ doc, tableName: config.runnerTable, reserve: config.githubApiReserve, log }),
  );
  const github = deferred<GitHubRunners>(async () => {
    const [{ parseGitHubAuth }, { createGitHubClients }, { createGitHubRunners }] = await Promise.all([
      import('../adapters/github-auth.js'),
      import('../adapters/github-client.js'),
      import('../adapters/github-runners.js'),
    ]);
    const clients = createGitHubClients({
      auth: parseGitHubAuth(await readParameter(config.githubAuthParam)),
      baseUrl: config.githubApiUrl,
      owner: config.githubOwner,
      repo: config.githubRepoName,
      log,
      retryBaseMs: overrides.githubRetryBaseMs,
      budget: githubBudget,
    });
    return createGitHubRunners(clients, config.githubOwner, config.githubRepoName);
  });
  const tasks = deferred<RunnerTasks>(async () => (await import('../adapters/ecs-tasks.js')).createRunnerTasks(await ecs(), config));
  const images = deferred<RunnerImages>(async () => {
    const [{ createRunnerImages }, ecr, codebuild] = await Promise.all([
      import('../adapters/runner-images.js'),
      import('@aws-sdk/client-ecr'),
      import('@aws-sdk/client-codebuild'),
    ]);
    const { ECRClient } = namedExports(ecr, 'ECRClient');
    const { CodeBuildClient } = namedExports(codebuild, 'CodeBuildClient');
    return createRunnerImages(new ECRClient(clientConfig(env, 'ECR')), await ecs(), new CodeBuildClient(clientConfig(env, 'CODEBUILD')), config);
  });

  let policyCache: { json: string; policy: LabelPolicy } | undefined;
  const labelPolicy = async (): Promise<LabelPolicy> => {
    const json = await readParameter(config.classSizesParam);
    if (policyCache?.json !== json) {
      const classes = parseClassSizes(json);
      if (!classes.has(config.defaultClass)) throw new Error(`DEFAULT_CLASS "${config.defaultClass}" is not in the class sizes (${[...classes.keys()].join(', ')})`);
      policyCache = { json, policy: { classes, defaultClass: config.defaultClass, extraLabels: config.runnerExtraLabels, allowedBaseImages: config.allowedBaseImages, architecture: config.runnerArchitecture } };
    }
    return policyCache.policy;
  };

  return {
    config,
    store: new RunnerStore(doc, { tableName: config.runnerTable, retentionDays: config.recordRetentionDays }),
    github,
    githubBudget,
    tasks,
    images,
    // Its own client: PutParameter allows only a few calls per second, so a burst retries longer, client-side paced.
    jitSecrets: createJitSecrets(new SSMClient({ ...clientConfig(env, 'SSM'), maxAttempts: 6, retryMode: 'adaptive' }), { path: config.jitParameterPath, kmsKeyId: config.jitKmsKeyId || undefined }),
    // Only the fleet's own re-dispatches use the bus (GitHub's deliveries hand off through the table's stream).
    bus: deferred<EventPublisher>(async () => {
      // One after the other: two chunks linked at once made jest's ES module loader (SANDBOX_LAMBDA=bundle
      // in npm test) fail with "request for 'node:module' is not in cache"; Node itself does not mind.
      const { createEventPublisher } = await import('../adapters/event-bus.js');
      const eventbridge = await import('@aws-sdk/client-eventbridge');
      const { EventBridgeClient } = namedExports(eventbridge, 'EventBridgeClient');
      return createEventPublisher(new EventBridgeClient(clientConfig(env, 'EVENTBRIDGE')), config.eventBusName);
    }),
    webhookSecrets: async () => (await readParameter(config.webhookSecretParam)).split('\n').map((s) => s.trim()).filter(Boolean),
    labelPolicy,
    log,
    metrics: createFleetMetrics({ fleet: config.runnerNamePrefix, write: metricsOff(env) ? () => undefined : overrides.writeMetrics }),
    now: () => new Date(),
  };
}
