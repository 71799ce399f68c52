import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * SANDBOX_AWS_CALL_LOG=<file>: one JSON line per AWS call the sandbox receives, with who made it
 * and only the request members that name a resource (table, index, parameter, cluster, task
 * definition, bus, project, repository, log group) or change which IAM permission applies (tags at
 * launch, WithDecryption). `npm run test:apply` replays the control plane's calls against the IAM
 * policies of the applied module (scripts/apply-checks/iam-checks.mjs). Values such as items,
 * parameter values and container overrides are never written.
 */
export interface AwsCallRecord {
  service: string;
  operation: string;
  /** control-plane (the Lambda's credentials), runner-task (the runner's entrypoint), sandbox-setup, operator (the CLI), or other. */
  principal: string;
  resources: Record<string, unknown>;
}

/** Access key ids the sandbox gives its own clients, so the log can tell them from the Lambda's. */
export const SETUP_ACCESS_KEY_ID = 'sandbox-setup';
export const OPERATOR_ACCESS_KEY_ID = 'sandbox-operator';
/** The simulated runner tasks' task role (their entrypoint's SSM calls). */
export const RUNNER_TASK_ACCESS_KEY_ID = 'runner-task-role';

const RESOURCE_MEMBERS = [
  'TableName', 'IndexName', 'Name', 'Names', 'Path', 'Type', 'KeyId', 'Tier', 'WithDecryption', 'EventBusName', 'Rule',
  'cluster', 'taskDefinition', 'family', 'tasks', 'task', 'taskRoleArn', 'executionRoleArn', 'startedBy', 'propagateTags',
  'repositoryName', 'registryId', 'projectName', 'ids', 'logGroupName', 'logStreamName', 'logGroupIdentifier',
];

export function resourceMembers(input: Record<string, unknown>): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const name of RESOURCE_MEMBERS) if (input[name] !== undefined) picked[name] = input[name];
  // Members whose presence (not value) decides a permission or names resources inside a list.
  if (Array.isArray(input.tags) && input.tags.length > 0) picked.tags = true;
  if (input.RequestItems && typeof input.RequestItems === 'object') picked.RequestItems = Object.keys(input.RequestItems);
  if (Array.isArray(input.Entries)) picked.EventBusNames = [...new Set(input.Entries.map((e) => (e as { EventBusName?: string }).EventBusName ?? 'default'))];
  return picked;
}

/** The access key id of a SigV4 Authorization header (never the secret: SigV4 does not carry it). */
function accessKeyId(authorization: string | undefined): string | undefined {
  return /Credential=([^/,\s]+)\//.exec(authorization ?? '')?.[1];
}

export function principalOf(authorization: string | undefined, controlPlaneKey: string | undefined): string {
  const key = accessKeyId(authorization);
  if (key === SETUP_ACCESS_KEY_ID) return 'sandbox-setup';
  if (key === OPERATOR_ACCESS_KEY_ID) return 'operator';
  if (key === RUNNER_TASK_ACCESS_KEY_ID) return 'runner-task';
  if (key !== undefined && key === controlPlaneKey) return 'control-plane';
  return 'other';
}

/** The settings that name the control plane's resources (DESIGN §7), the only ones the log keeps. */
const RESOURCE_SETTINGS = ['RUNNER_TABLE', 'CLASS_SIZES_PARAM', 'GITHUB_AUTH_PARAM', 'WEBHOOK_SECRET_PARAM', 'EVENT_BUS_NAME', 'ECS_CLUSTER', 'RUNNER_TASK_DEFINITION', 'ECR_REPOSITORY_URL', 'IMAGE_BUILD_PROJECT', 'RUNNER_NAME_PREFIX', 'JIT_PARAMETER_PATH', 'JIT_KMS_KEY_ID'];

/** What a replay needs to map the sandbox's names to a deployment's: the control plane's settings (DESIGN §7). */
export interface SandboxContext {
  region: string;
  account: string;
  controlPlaneEnv: Record<string, string>;
}

/** Appends to the file (several sandboxes of one test run share it); each sandbox's lines carry its id. */
export class AwsCallLog {
  private readonly sandbox = randomUUID();

  constructor(
    private readonly file: string,
    context: SandboxContext,
  ) {
    mkdirSync(dirname(file), { recursive: true });
    const names = Object.fromEntries(RESOURCE_SETTINGS.filter((name) => context.controlPlaneEnv[name]).map((name) => [name, context.controlPlaneEnv[name]]));
    this.append({ type: 'sandbox', sandbox: this.sandbox, region: context.region, account: context.account, controlPlaneEnv: names });
  }

  record(entry: AwsCallRecord): void {
    this.append({ type: 'call', sandbox: this.sandbox, ...entry });
  }

  private append(line: Record<string, unknown>): void {
    appendFileSync(this.file, `${JSON.stringify(line)}\n`);
  }
}
