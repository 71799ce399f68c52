/**
 * The fleet descriptor: one SSM String parameter (`/<name_prefix>/fleet`) that Terraform and the
 * sandbox write, so an operator's tools find a whole deployment from its name prefix.
 * Version 1; fields are only ever added.
 */
export interface FleetDescriptor {
  version: 1;
  namePrefix: string;
  /** Prefix of runner names, ECS startedBy and runner ids (`<runnerNamePrefix>-<jobId>`). */
  runnerNamePrefix: string;
  region: string;
  runnerTable: string;
  classSizesParam: string;
  githubAuthParam: string;
  cluster: string;
  lambdaFunction: string;
  lambdaLogGroup: string;
  runnerLogGroup: string;
  eventBus: string;
  deadLetterQueueUrl: string;
  deadLetterQueueArn: string;
  webhookUrl: string;
  github: { apiUrl: string; repo: string; scope: 'repo' | 'org' };
  /** actions/runner version the images install (runner_version / runner/Dockerfile's ARG). */
  runnerVersion: string;
  maxRunners: number;
}

/** The descriptor's parameter name for a name prefix. */
export function fleetDescriptorParam(namePrefix: string): string {
  return `/${namePrefix}/fleet`;
}

const STRING_FIELDS = ['namePrefix', 'runnerNamePrefix', 'region', 'runnerTable', 'classSizesParam', 'githubAuthParam', 'cluster', 'lambdaFunction', 'lambdaLogGroup', 'runnerLogGroup', 'eventBus', 'deadLetterQueueUrl', 'deadLetterQueueArn', 'webhookUrl', 'runnerVersion'] as const;

/** Parses and checks a descriptor; every problem in one error. */
export function parseFleetDescriptor(json: string): FleetDescriptor {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new Error('the fleet descriptor is not valid JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('the fleet descriptor must be a JSON object');
  const value = raw as Record<string, unknown>;
  const problems: string[] = [];
  if (value.version !== 1) problems.push(`version must be 1 (got ${JSON.stringify(value.version)}; a newer ecsrunner may be needed)`);
  for (const field of STRING_FIELDS) if (typeof value[field] !== 'string' || value[field] === '') problems.push(`${field} must be a non-empty string`);
  const github = value.github as Record<string, unknown> | undefined;
  if (typeof github !== 'object' || github === null) problems.push('github must be an object {apiUrl, repo, scope}');
  else {
    if (typeof github.apiUrl !== 'string' || !/^https?:\/\//.test(github.apiUrl)) problems.push('github.apiUrl must be an http(s) URL');
    if (typeof github.repo !== 'string' || !/^[^/\s]+\/[^/\s]+$/.test(github.repo)) problems.push('github.repo must be "owner/name"');
    if (github.scope !== 'repo' && github.scope !== 'org') problems.push('github.scope must be "repo" or "org"');
  }
  if (!Number.isInteger(value.maxRunners) || (value.maxRunners as number) < 1) problems.push('maxRunners must be a positive integer');
  if (problems.length) throw new Error(`invalid fleet descriptor: ${problems.join('; ')}`);
  return value as unknown as FleetDescriptor;
}
