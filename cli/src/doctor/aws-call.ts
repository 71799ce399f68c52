import type { AwsCredentialIdentity, Provider } from '@smithy/types';

/**
 * The three AWS reads only the doctor makes (Lambda GetFunctionConfiguration, SQS
 * GetQueueAttributes, STS GetCallerIdentity), through the SDK's own clients, imported on first
 * use. Credentials and region come from an SDK client the CLI already has, so the default
 * credential chain, profiles and AWS_ENDPOINT_URL[_<SERVICE>] behave as in every command.
 */
export interface AwsCaller {
  region: string;
  credentials: Provider<AwsCredentialIdentity>;
}

// Fail fast, as the CLI's other clients do: an operator waiting on a dead endpoint learns nothing from retries.
const clientConfig = (caller: AwsCaller) => ({ region: caller.region, credentials: caller.credentials, maxAttempts: 2 });

/** Lambda GetFunctionConfiguration. */
export async function getFunctionConfiguration(caller: AwsCaller, functionName: string): Promise<{ FunctionName?: string; State?: string; LastUpdateStatus?: string; Environment?: { Variables?: Record<string, string>; Error?: { ErrorCode?: string; Message?: string } } }> {
  const { LambdaClient, GetFunctionConfigurationCommand } = await import('@aws-sdk/client-lambda');
  const client = new LambdaClient(clientConfig(caller));
  try {
    return await client.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
  } finally {
    client.destroy();
  }
}

/** SQS GetQueueAttributes: the named attributes (numbers as strings, as SQS answers them). */
export async function getQueueAttributes(caller: AwsCaller, queueUrl: string, names: string[]): Promise<Record<string, string>> {
  const { SQSClient, GetQueueAttributesCommand } = await import('@aws-sdk/client-sqs');
  const client = new SQSClient(clientConfig(caller));
  try {
    const out = await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: names as never }));
    return (out.Attributes ?? {}) as Record<string, string>;
  } finally {
    client.destroy();
  }
}

/** STS GetCallerIdentity. */
export async function getCallerIdentity(caller: AwsCaller): Promise<{ account: string; arn: string }> {
  const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
  const client = new STSClient(clientConfig(caller));
  try {
    const out = await client.send(new GetCallerIdentityCommand({}));
    return { account: out.Account ?? '', arn: out.Arn ?? '' };
  } finally {
    client.destroy();
  }
}
