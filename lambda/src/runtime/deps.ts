import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseClassSizes, type LabelPolicy } from '@runner-fleet/core';
import { RunnerStore } from '@runner-fleet/core/store';
import { createRunnerTasks } from '../adapters/ecs-tasks.js';
import { createEventPublisher } from '../adapters/event-bus.js';
import { parseGitHubAuth } from '../adapters/github-auth.js';
import { createGitHubClients } from '../adapters/github-client.js';
import { createGitHubRunners } from '../adapters/github-runners.js';
import { createParameterReader } from '../adapters/parameters.js';
import { createRunnerImages } from '../adapters/runner-images.js';
import { readConfig } from '../config.js';
import type { Deps } from '../domain/ports.js';
import { lazy } from './lazy.js';
import type { Log } from './logger.js';

type Env = Record<string, string | undefined>;

/** Parameters (secrets, class sizes) are re-read after this long, so rotation needs no redeploy. */
const PARAMETER_TTL_MS = 5 * 60 * 1000;

/** AWS endpoints come from the SDK's own variables; reading them from `env` lets the sandbox host several fleets. */
function clientConfig(env: Env, service: string) {
  const endpoint = env[`AWS_ENDPOINT_URL_${service}`] ?? env.AWS_ENDPOINT_URL;
  return { ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}), ...(endpoint ? { endpoint } : {}) };
}

/** Everything the routes need, built once per cold start. Config problems fail here, all at once. */
export async function buildDeps(env: Env, log: Log, overrides: { githubRetryBaseMs?: number } = {}): Promise<Deps> {
  const config = readConfig(env);
  const ssm = new SSMClient(clientConfig(env, 'SSM'));
  const readParameter = createParameterReader(ssm, PARAMETER_TTL_MS);
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig(env, 'DYNAMODB')), {
    marshallOptions: { removeUndefinedValues: true },
  });

  const ecs = new ECSClient(clientConfig(env, 'ECS'));
  const github = lazy(async () =>
    createGitHubRunners(
      createGitHubClients({
        auth: parseGitHubAuth(await readParameter(config.githubAuthParam)),
        baseUrl: config.githubApiUrl,
        owner: config.githubOwner,
        repo: config.githubRepoName,
        log,
        retryBaseMs: overrides.githubRetryBaseMs,
      }),
      config.githubOwner,
      config.githubRepoName,
    ),
  );

  let policyCache: { json: string; policy: LabelPolicy } | undefined;
  const labelPolicy = async (): Promise<LabelPolicy> => {
    const json = await readParameter(config.classSizesParam);
    if (policyCache?.json !== json) {
      const classes = parseClassSizes(json);
      if (!classes[config.defaultClass]) throw new Error(`DEFAULT_CLASS "${config.defaultClass}" is not in the class sizes (${Object.keys(classes).join(', ')})`);
      policyCache = { json, policy: { classes, defaultClass: config.defaultClass, extraLabels: config.runnerExtraLabels, allowedBaseImages: config.allowedBaseImages } };
    }
    return policyCache.policy;
  };

  return {
    config,
    store: new RunnerStore(doc, { tableName: config.runnerTable, retentionDays: config.recordRetentionDays }),
    github: {
      generateJitConfig: async (request) => (await github()).generateJitConfig(request),
      findRunner: async (name, installationId) => (await github()).findRunner(name, installationId),
      deleteRunner: async (id, installationId) => (await github()).deleteRunner(id, installationId),
      listRunners: async (prefix) => (await github()).listRunners(prefix),
    },
    tasks: createRunnerTasks(ecs, config),
    images: createRunnerImages(new ECRClient(clientConfig(env, 'ECR')), ecs, new CodeBuildClient(clientConfig(env, 'CODEBUILD')), config),
    bus: createEventPublisher(new EventBridgeClient(clientConfig(env, 'EVENTBRIDGE')), config.eventBusName),
    webhookSecrets: async () => (await readParameter(config.webhookSecretParam)).split('\n').map((s) => s.trim()).filter(Boolean),
    labelPolicy,
    log,
    now: () => new Date(),
  };
}
