import { ConfigError, readConfig } from '@runner-fleet/lambda/config';
import { getFunctionConfiguration, getQueueAttributes } from './aws-call.js';
import type { DoctorContext } from './context.js';
import { count as counted, errorResult, fail, pass, warn, type CheckResult } from './result.js';

const NEEDS_DESCRIPTOR = 'needs the fleet descriptor: export ECSRUNNER_FLEET=<name_prefix> (or pass --fleet)';

/** The Lambda exists, is active, and its environment passes the control plane's own config check (DESIGN §7). */
export async function checkLambdaConfiguration(ctx: DoctorContext): Promise<CheckResult> {
  const d = ctx.descriptor;
  if (!d) return warn('lambda', `Not checked: ${NEEDS_DESCRIPTOR}.`);
  let config;
  try {
    config = await getFunctionConfiguration(await ctx.caller(), d.lambdaFunction);
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') return fail('lambda', `Function ${d.lambdaFunction} does not exist: apply the Terraform module.`);
    return errorResult('lambda', `Lambda GetFunctionConfiguration ${d.lambdaFunction}`, error);
  }
  const envError = config.Environment?.Error;
  if (envError) return warn('lambda', `Function ${d.lambdaFunction} exists but its environment could not be read (${envError.ErrorCode}: ${envError.Message}): give your role kms:Decrypt on the function's key to let the doctor check it.`);
  const env = config.Environment?.Variables ?? {};
  ctx.lambdaEnv = env;
  const problems: string[] = [];
  try {
    readConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  // The descriptor and the Lambda must describe the same fleet, or the CLI reads another table.
  const expected: Array<[string, string]> = [['RUNNER_TABLE', d.runnerTable], ['CLASS_SIZES_PARAM', d.classSizesParam], ['GITHUB_AUTH_PARAM', d.githubAuthParam], ['ECS_CLUSTER', d.cluster], ['EVENT_BUS_NAME', d.eventBus]];
  for (const [name, value] of expected) if (env[name] && env[name] !== value) problems.push(`${name} is "${env[name]}" but the descriptor says "${value}"`);
  if (config.State && config.State !== 'Active') problems.push(`state is ${config.State}`);
  if (config.LastUpdateStatus === 'Failed') problems.push('its last update failed');
  if (problems.length) return fail('lambda', `Function ${d.lambdaFunction}: ${problems.join('; ')}: re-apply the Terraform module so it sets the control plane's environment.`, { problems });
  return pass('lambda', `Function ${d.lambdaFunction} is ${config.State ?? 'Active'} and its environment is complete.`);
}

/** ERROR lines the control plane logged in the last hour (CloudWatch Logs FilterLogEvents). */
export async function checkLambdaErrors(ctx: DoctorContext): Promise<CheckResult> {
  const d = ctx.descriptor;
  if (!d) return warn('lambda-errors', `Not checked: ${NEEDS_DESCRIPTOR}.`);
  const { FilterLogEventsCommand } = await import('@aws-sdk/client-cloudwatch-logs');
  const logs = await ctx.fleet.logs();
  const since = ctx.now.getTime() - 3600_000;
  const messages: string[] = [];
  let count = 0;
  let nextToken: string | undefined;
  try {
    let pages = 0;
    do {
      // Powertools writes one JSON object per line, its level in "level".
      const page = await logs.send(new FilterLogEventsCommand({ logGroupName: d.lambdaLogGroup, startTime: since, endTime: ctx.now.getTime(), filterPattern: '{ $.level = "ERROR" }', nextToken, limit: 100 }));
      for (const event of page.events ?? []) {
        count++;
        // Events come oldest first: keep the three latest.
        messages.push(summarize(event.message ?? ''));
        if (messages.length > 3) messages.shift();
      }
      nextToken = page.nextToken;
    } while (nextToken && ++pages < 5);
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') return warn('lambda-errors', `Log group ${d.lambdaLogGroup} does not exist yet (the Lambda has not run): send a test webhook or wait for the one-minute housekeeping.`);
    return errorResult('lambda-errors', `CloudWatch Logs FilterLogEvents ${d.lambdaLogGroup}`, error);
  }
  if (count === 0) return pass('lambda-errors', 'No ERROR lines from the control plane in the last hour.');
  return fail('lambda-errors', `${counted(count, 'ERROR line')}${nextToken ? ' or more' : ''} from the control plane in the last hour (latest: ${messages.at(-1)}): read them with aws logs tail ${d.lambdaLogGroup} --since 1h --filter-pattern '{ $.level = "ERROR" }'.`, { count, samples: messages });
}

function summarize(line: string): string {
  try {
    const parsed = JSON.parse(line) as { message?: string; error?: { message?: string } };
    return [parsed.message, parsed.error?.message].filter(Boolean).join(': ') || line.slice(0, 200);
  } catch {
    return line.slice(0, 200);
  }
}

/** Events the control plane gave up on wait in the dead-letter queue. */
export async function checkDeadLetterQueue(ctx: DoctorContext): Promise<CheckResult> {
  const d = ctx.descriptor;
  if (!d) return warn('dead-letter-queue', `Not checked: ${NEEDS_DESCRIPTOR}.`);
  let attributes;
  try {
    attributes = await getQueueAttributes(await ctx.caller(), d.deadLetterQueueUrl, ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible']);
  } catch (error) {
    if (/NonExistentQueue|QueueDoesNotExist/.test((error as { name?: string }).name ?? '')) return fail('dead-letter-queue', `Queue ${d.deadLetterQueueUrl} does not exist: apply the Terraform module.`);
    return errorResult('dead-letter-queue', `SQS GetQueueAttributes ${d.deadLetterQueueUrl}`, error);
  }
  const depth = Number(attributes.ApproximateNumberOfMessages ?? 0) + Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
  if (depth === 0) return pass('dead-letter-queue', 'The dead-letter queue is empty.');
  return fail('dead-letter-queue', `${counted(depth, 'event')} in the dead-letter queue (the control plane gave up on them after retries; their jobs may never get a runner): read them with aws sqs receive-message --queue-url ${d.deadLetterQueueUrl} (a stream batch's message names its shard and sequence numbers, not the jobs; queued jobs among them are dispatched again by housekeeping after 10 minutes), fix the cause (see lambda-errors), then re-run the jobs that did not start and purge the queue.`, { depth });
}
