import { isRunnerArchitecture, MAX_RUNNER_ID_LENGTH, parseImagePattern, type RunnerArchitecture } from '@runner-fleet/core';
import { parseCidr } from './webhook/source-ip.js';

/** The Lambda's configuration (DESIGN §7), read and checked once per cold start. */
export interface Config {
  runnerTable: string;
  classSizesParam: string;
  githubOwner: string;
  githubRepoName: string;
  /** `owner/name` as configured. */
  githubRepo: string;
  githubAuthParam: string;
  webhookSecretParam: string;
  githubApiUrl: string;
  eventBusName: string;
  ecsCluster: string;
  subnetIds: string[];
  securityGroupIds: string[];
  assignPublicIp: boolean;
  runnerTaskDefinition: string;
  runnerContainerName: string;
  ecrRepositoryUrl: string;
  /** Empty: dynamic images are off. */
  imageBuildProject: string;
  /** Tag of the default runner image in ECR (the default task definition runs <ECR_REPOSITORY_URL>:<tag>). */
  runnerImageTag: string;
  /** Hash of the runner/ build context the project builds (part of every image tag, so a Dockerfile change rebuilds). */
  imageContextHash: string;
  defaultClass: string;
  maxRunners: number;
  idleTimeoutSeconds: number;
  /** A busy runner is stopped and failed after this long (GitHub's default job timeout is 6 hours). */
  maxJobSeconds: number;
  runnerNamePrefix: string;
  allowedBaseImages: string[];
  /** CPU architecture of the runner tasks (var.runner_architecture): decides whether `x64` or `arm64` labels are honoured. */
  runnerArchitecture: RunnerArchitecture;
  runnerExtraLabels: string[];
  runnerGroupId: number;
  recordRetentionDays: number;
  /** Source-IP allow-list of the webhook (CIDR blocks, IPv4 or IPv6); empty: off, only the signature decides. */
  webhookAllowedCidrs: string[];
  /** SSM path under which each runner's JIT config waits for its task (`<path>/<runnerId>/<digest>`). */
  jitParameterPath: string;
  /** KMS key of those SecureStrings; empty: the account's aws/ssm key. */
  jitKmsKeyId: string;
  /** GitHub requests kept for JIT registrations: below this many left, housekeeping defers its GitHub sweeps. */
  githubApiReserve: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid control-plane configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Job ids are well below 10^16; the prefix must leave room for "-<jobId>" within MAX_RUNNER_ID_LENGTH (ECS startedBy, 128). */
const MAX_JOB_ID_DIGITS = 16;
export const MAX_PREFIX_LENGTH = MAX_RUNNER_ID_LENGTH - 1 - MAX_JOB_ID_DIGITS;

type Env = Record<string, string | undefined>;

export function readConfig(env: Env): Config {
  const problems: string[] = [];
  const required = (name: string): string => {
    const value = env[name]?.trim();
    if (!value) problems.push(`${name} is required`);
    return value ?? '';
  };
  const optional = (name: string, fallback: string): string => env[name]?.trim() || fallback;
  const integer = (name: string, fallback: number | undefined, min: number): number => {
    const raw = env[name]?.trim();
    if (!raw) {
      if (fallback === undefined) problems.push(`${name} is required`);
      return fallback ?? 0;
    }
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) problems.push(`${name} must be a whole number ≥ ${min} (got "${raw}")`);
    return value;
  };
  const list = (name: string, { required: isRequired }: { required: boolean }): string[] => {
    const items = (env[name] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (isRequired && items.length === 0) problems.push(`${name} must list at least one value (comma-separated)`);
    return items;
  };

  const githubRepo = required('GITHUB_REPO');
  const [githubOwner = '', githubRepoName = '', ...rest] = githubRepo.split('/');
  if (githubRepo && (!githubOwner || !githubRepoName || rest.length > 0)) {
    problems.push(`GITHUB_REPO must be "owner/name" (got "${githubRepo}")`);
  }

  const githubApiUrl = optional('GITHUB_API_URL', 'https://api.github.com').replace(/\/+$/, '');
  if (!/^https?:\/\/[^\s]+$/.test(githubApiUrl)) problems.push(`GITHUB_API_URL must be an http(s) URL (got "${githubApiUrl}")`);

  const assignRaw = optional('ASSIGN_PUBLIC_IP', 'false').toLowerCase();
  if (!['true', 'false', 'enabled', 'disabled'].includes(assignRaw)) {
    problems.push(`ASSIGN_PUBLIC_IP must be true or false (got "${assignRaw}")`);
  }

  const runnerNamePrefix = optional('RUNNER_NAME_PREFIX', 'ecs-runner');
  if (!/^[A-Za-z0-9_-]+$/.test(runnerNamePrefix) || runnerNamePrefix.length > MAX_PREFIX_LENGTH) {
    problems.push(`RUNNER_NAME_PREFIX must be 1–${MAX_PREFIX_LENGTH} letters, digits, "-" or "_" so runner ids fit ECS startedBy (got "${runnerNamePrefix}")`);
  }

  const allowedBaseImages = list('ALLOWED_BASE_IMAGES', { required: false });
  for (const pattern of allowedBaseImages) {
    const parsed = parseImagePattern(pattern);
    if (typeof parsed === 'string') {
      problems.push(`ALLOWED_BASE_IMAGES: "${pattern}" is not a valid image pattern: ${parsed}; write [registry/]repository[:tag][@digest] with * or ? inside a part, e.g. public.ecr.aws/docker/library/ubuntu:*`);
    }
  }

  const webhookAllowedCidrs = list('WEBHOOK_ALLOWED_CIDRS', { required: false });
  for (const cidr of webhookAllowedCidrs) {
    const parsed = parseCidr(cidr);
    if (typeof parsed === 'string') problems.push(`WEBHOOK_ALLOWED_CIDRS: ${parsed}`);
  }

  // SSM names: letters, digits, . - _ and /; the aws and ssm prefixes are reserved.
  const jitParameterPath = optional('JIT_PARAMETER_PATH', `/${runnerNamePrefix}/jit`);
  if (!/^(\/[A-Za-z0-9_.-]+)+$/.test(jitParameterPath) || /^\/(aws|ssm)(\/|$)/i.test(jitParameterPath) || jitParameterPath.length > 512) {
    problems.push(`JIT_PARAMETER_PATH must be an SSM path like /<name_prefix>/jit (letters, digits, . - _ between slashes, no trailing slash, not under /aws or /ssm; got "${jitParameterPath}")`);
  }

  const runnerArchitecture = optional('RUNNER_ARCHITECTURE', 'X86_64').toUpperCase();
  if (!isRunnerArchitecture(runnerArchitecture)) problems.push(`RUNNER_ARCHITECTURE must be X86_64 or ARM64 (got "${runnerArchitecture}")`);

  const config: Config = {
    runnerTable: required('RUNNER_TABLE'),
    classSizesParam: required('CLASS_SIZES_PARAM'),
    githubRepo,
    githubOwner,
    githubRepoName,
    githubAuthParam: required('GITHUB_AUTH_PARAM'),
    webhookSecretParam: required('WEBHOOK_SECRET_PARAM'),
    githubApiUrl,
    eventBusName: required('EVENT_BUS_NAME'),
    ecsCluster: required('ECS_CLUSTER'),
    subnetIds: list('SUBNET_IDS', { required: true }),
    securityGroupIds: list('SECURITY_GROUP_IDS', { required: true }),
    assignPublicIp: assignRaw === 'true' || assignRaw === 'enabled',
    runnerTaskDefinition: required('RUNNER_TASK_DEFINITION'),
    runnerContainerName: optional('RUNNER_CONTAINER_NAME', 'runner'),
    ecrRepositoryUrl: required('ECR_REPOSITORY_URL'),
    imageBuildProject: env.IMAGE_BUILD_PROJECT?.trim() ?? '',
    imageContextHash: env.IMAGE_CONTEXT_HASH?.trim() ?? '',
    runnerImageTag: optional('RUNNER_IMAGE_TAG', 'latest'),
    defaultClass: optional('DEFAULT_CLASS', 'small').toLowerCase(),
    maxRunners: integer('MAX_RUNNERS', 100, 1),
    idleTimeoutSeconds: integer('IDLE_TIMEOUT_SECONDS', 600, 30),
    maxJobSeconds: integer('MAX_JOB_SECONDS', 25_200, 60),
    runnerNamePrefix,
    allowedBaseImages,
    runnerArchitecture: runnerArchitecture as RunnerArchitecture,
    runnerExtraLabels: list('RUNNER_EXTRA_LABELS', { required: false }),
    runnerGroupId: integer('RUNNER_GROUP_ID', 1, 1),
    recordRetentionDays: integer('RECORD_RETENTION_DAYS', 30, 1),
    webhookAllowedCidrs,
    jitParameterPath,
    jitKmsKeyId: env.JIT_KMS_KEY_ID?.trim() ?? '',
    githubApiReserve: integer('GITHUB_API_RESERVE', 500, 0),
  };
  if (problems.length) throw new ConfigError(problems);
  return config;
}
