import { parseClassSizes } from '@runner-fleet/core';
import { RETRY_INDEX, STATUS_INDEX } from '@runner-fleet/core/store';
import { explainAwsError } from '../errors.js';
import { getCallerIdentity } from './aws-call.js';
import type { DoctorContext } from './context.js';
import { errorResult, fail, pass, warn, type CheckResult } from './result.js';

/** The CLI's own settings: a descriptor, or at least the table and class-size parameter. */
export function checkConfiguration(ctx: DoctorContext, descriptorError?: Error): CheckResult {
  const { settings } = ctx.fleet;
  if (descriptorError) {
    const explained = explainAwsError(descriptorError, {});
    return fail('configuration', explained instanceof Error ? explained.message : String(explained));
  }
  if (ctx.descriptor) {
    return pass('configuration', `Fleet "${ctx.descriptor.namePrefix}" found from its descriptor (${ctx.descriptor.region}, repository ${ctx.descriptor.github.repo}).`, { fleet: settings.fleet, table: settings.table, classSizesParam: settings.classSizesParam });
  }
  const missing = [!settings.table && 'RUNNER_TABLE', !settings.classSizesParam && 'CLASS_SIZES_PARAM'].filter(Boolean);
  if (missing.length) return fail('configuration', `${missing.join(' and ')} not set and no fleet named: export ECSRUNNER_FLEET=<name_prefix> (or pass --fleet).`);
  return warn('configuration', 'No fleet descriptor named, so the Lambda, dead-letter queue, GitHub and runner-version checks cannot run: export ECSRUNNER_FLEET=<name_prefix> (or pass --fleet).');
}

/** Who the CLI is in AWS (STS GetCallerIdentity): credentials that work at all. */
export async function checkIdentity(ctx: DoctorContext): Promise<CheckResult> {
  try {
    const caller = await ctx.caller();
    const identity = await getCallerIdentity(caller);
    return pass('aws-identity', `Signed in as ${identity.arn} (account ${identity.account}, region ${caller.region}).`, { ...identity, region: caller.region });
  } catch (error) {
    const name = (error as { name?: string }).name ?? '';
    if (/Credentials|ExpiredToken|InvalidClientTokenId|SignatureDoesNotMatch/.test(name) || /credentials/i.test((error as Error).message)) {
      return fail('aws-identity', `AWS credentials are missing or expired (${name}): sign in again (e.g. aws sso login) or set AWS_PROFILE / --profile.`);
    }
    return errorResult('aws-identity', 'STS GetCallerIdentity', error);
  }
}

interface KeyElement {
  AttributeName?: string;
  KeyType?: string;
}
const keys = (schema: KeyElement[] | undefined) => (schema ?? []).map((k) => `${k.AttributeName}:${k.KeyType}`).join(',');

/** The runner table exists, is ACTIVE, and has DESIGN §4's key schema and indexes. */
export async function checkRunnerTable(ctx: DoctorContext): Promise<CheckResult> {
  const table = ctx.fleet.settings.table;
  if (!table) return fail('runner-table', 'No runner table configured: export ECSRUNNER_FLEET (or RUNNER_TABLE).');
  const [{ DynamoDBClient, DescribeTableCommand }, caller] = await Promise.all([import('@aws-sdk/client-dynamodb'), ctx.caller()]);
  let described;
  try {
    described = (await new DynamoDBClient({ region: caller.region, credentials: caller.credentials, maxAttempts: 2 }).send(new DescribeTableCommand({ TableName: table }))).Table;
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') return fail('runner-table', `Table ${table} does not exist in ${caller.region}: check the fleet name and region, or apply the Terraform module.`);
    return errorResult('runner-table', `DynamoDB DescribeTable ${table}`, error);
  }
  const problems: string[] = [];
  if (described?.TableStatus !== 'ACTIVE') problems.push(`status is ${described?.TableStatus}`);
  if (keys(described?.KeySchema) !== 'runnerId:HASH') problems.push(`key schema is ${keys(described?.KeySchema)} (expected runnerId:HASH)`);
  const indexes = new Map((described?.GlobalSecondaryIndexes ?? []).map((i) => [i.IndexName, keys(i.KeySchema)]));
  for (const [name, expected] of [[STATUS_INDEX, 'status:HASH,createdAt:RANGE'], [RETRY_INDEX, 'waiting:HASH,retryAt:RANGE']] as const) {
    if (!indexes.has(name)) problems.push(`index ${name} is missing`);
    else if (indexes.get(name) !== expected) problems.push(`index ${name} has keys ${indexes.get(name)} (expected ${expected})`);
  }
  if (problems.length) return fail('runner-table', `Table ${table}: ${problems.join('; ')}: re-apply the Terraform module (the CLI and Lambda of this version need DESIGN §4's schema).`, { problems });
  return pass('runner-table', `Table ${table} is ACTIVE with the expected key and indexes (${STATUS_INDEX}, ${RETRY_INDEX}).`, { itemCount: described?.ItemCount });
}

/** The class-size parameter is valid JSON and every class a Fargate cpu/memory pair. */
export async function checkClassSizes(ctx: DoctorContext): Promise<CheckResult> {
  const name = ctx.fleet.settings.classSizesParam;
  if (!name) return fail('class-sizes', 'No class-size parameter configured: export ECSRUNNER_FLEET (or CLASS_SIZES_PARAM).');
  const { GetParameterCommand } = await import('@aws-sdk/client-ssm');
  let value: string | undefined;
  try {
    value = (await (await ctx.fleet.ssm()).send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
  } catch (error) {
    if ((error as { name?: string }).name === 'ParameterNotFound') return fail('class-sizes', `SSM parameter ${name} does not exist: apply the Terraform module (runner_class_sizes writes it).`);
    return errorResult('class-sizes', `SSM GetParameter ${name}`, error);
  }
  try {
    const sizes = parseClassSizes(value ?? '');
    const entries = [...sizes];
    return pass('class-sizes', `${entries.length} classes, every one a valid Fargate size (${entries.map(([n, size]) => `${n} ${size.cpu}/${size.memory}`).join(', ')}).`, { classes: Object.fromEntries(entries) });
  } catch (error) {
    return fail('class-sizes', `${name}: ${(error as Error).message}: fix runner_class_sizes and apply (or put valid JSON in the parameter); jobs cannot launch meanwhile.`);
  }
}
