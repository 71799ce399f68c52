/** The sandbox's fleet: what Terraform would set, with local names (DESIGN §7, §9). */
export const SANDBOX_REGION = 'us-east-1';
export const SANDBOX_PAT = 'ghp_sandboxsandboxsandboxsandboxsandbox0000';
export const DEFAULT_WEBHOOK_SECRET = 'sandbox-webhook-secret';
/** The sandbox's Terraform name_prefix: its fleet descriptor is /runner-fleet/fleet. */
export const FLEET_NAME_PREFIX = 'runner-fleet';
export const FUNCTION_NAME = `${FLEET_NAME_PREFIX}-control-plane`;
export const FUNCTION_ARN = `arn:aws:lambda:us-east-1:000000000000:function:${FUNCTION_NAME}`;
/** The control plane's log group (Lambda's /aws/lambda/<function>). */
export const LAMBDA_LOG_GROUP = `/aws/lambda/${FUNCTION_NAME}`;

export const DEFAULT_CLASS_SIZES = {
  small: { cpu: 512, memory: 1024 },
  medium: { cpu: 1024, memory: 2048 },
  large: { cpu: 2048, memory: 4096 },
};

/** Control-plane variables; any of them set in the sandbox's environment wins. */
export const CONTROL_PLANE_DEFAULTS: Record<string, string> = {
  RUNNER_TABLE: 'runner-fleet-runners',
  CLASS_SIZES_PARAM: '/runner-fleet/class-sizes',
  GITHUB_REPO: 'octo-org/octo-repo',
  GITHUB_AUTH_PARAM: '/runner-fleet/github-auth',
  WEBHOOK_SECRET_PARAM: '/runner-fleet/webhook-secret',
  EVENT_BUS_NAME: 'runner-fleet',
  ECS_CLUSTER: 'runner-fleet',
  SUBNET_IDS: 'subnet-0sandbox0a,subnet-0sandbox0b',
  SECURITY_GROUP_IDS: 'sg-0sandbox',
  ASSIGN_PUBLIC_IP: 'false',
  RUNNER_TASK_DEFINITION: 'runner-fleet-runner',
  RUNNER_CONTAINER_NAME: 'runner',
  ECR_REPOSITORY_URL: '000000000000.dkr.ecr.us-east-1.amazonaws.com/runner-fleet-runner',
  IMAGE_BUILD_PROJECT: '',
  DEFAULT_CLASS: 'small',
  MAX_RUNNERS: '100',
  IDLE_TIMEOUT_SECONDS: '600',
  MAX_JOB_SECONDS: '25200',
  RUNNER_NAME_PREFIX: 'ecs-runner',
  ALLOWED_BASE_IMAGES: 'ubuntu:*,debian:*,public.ecr.aws/docker/library/*',
  RUNNER_EXTRA_LABELS: '',
};

export const CONTROL_PLANE_NAMES = [...Object.keys(CONTROL_PLANE_DEFAULTS), 'GITHUB_API_URL', 'RUNNER_GROUP_ID', 'RECORD_RETENTION_DAYS', 'LOG_LEVEL', 'IMAGE_CONTEXT_HASH', 'RUNNER_IMAGE_TAG', 'WEBHOOK_ALLOWED_CIDRS', 'JIT_PARAMETER_PATH', 'JIT_KMS_KEY_ID', 'GITHUB_API_RESERVE'];

/** The runner tasks' log group (Terraform: /ecs/<name_prefix>/runner). */
export const RUNNER_LOG_GROUP = '/ecs/runner-fleet/runner';
