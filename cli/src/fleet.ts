import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { RunnerStore } from '@runner-fleet/core/store';
import { CliError, EXIT } from './errors.js';

export interface FleetSettings {
  table?: string;
  classSizesParam?: string;
  region?: string;
  profile?: string;
}

/**
 * The AWS clients a command needs, built on first use from flags (which win)
 * and the environment. Each SDK client is imported only by the commands that
 * use it, so a command starts in a fraction of a second.
 */
export class Fleet {
  private storeClient?: Promise<RunnerStore>;
  private ecsClient?: Promise<ECSClient>;
  private ssmClient?: Promise<SSMClient>;
  private logsClient?: Promise<CloudWatchLogsClient>;

  constructor(readonly settings: FleetSettings) {
    // The SDK's default credential chain reads AWS_PROFILE; a --profile flag sets it for this run.
    if (settings.profile) process.env.AWS_PROFILE = settings.profile;
  }

  get tableName(): string {
    if (!this.settings.table) {
      throw new CliError('RUNNER_TABLE is not set: export it or pass --table. The Terraform output cli_environment has the lines: eval "$(terraform output -raw cli_environment)".', EXIT.configuration);
    }
    return this.settings.table;
  }

  get classSizesParam(): string {
    if (!this.settings.classSizesParam) {
      throw new CliError('CLASS_SIZES_PARAM is not set: export it or pass --class-sizes-param. The Terraform output cli_environment has the lines: eval "$(terraform output -raw cli_environment)".', EXIT.configuration);
    }
    return this.settings.classSizesParam;
  }

  store(): Promise<RunnerStore> {
    const tableName = this.tableName;
    this.storeClient ??= (async () => {
      const [{ DynamoDBClient }, { DynamoDBDocumentClient }, { RunnerStore }] = await Promise.all([
        import('@aws-sdk/client-dynamodb'),
        import('@aws-sdk/lib-dynamodb'),
        import('@runner-fleet/core/store'),
      ]);
      const doc = DynamoDBDocumentClient.from(new DynamoDBClient(this.clientConfig()), { marshallOptions: { removeUndefinedValues: true } });
      return new RunnerStore(doc, { tableName, retentionDays: 30 });
    })();
    return this.storeClient;
  }

  ecs(): Promise<ECSClient> {
    return (this.ecsClient ??= import('@aws-sdk/client-ecs').then(({ ECSClient }) => new ECSClient(this.clientConfig())));
  }

  ssm(): Promise<SSMClient> {
    return (this.ssmClient ??= import('@aws-sdk/client-ssm').then(({ SSMClient }) => new SSMClient(this.clientConfig())));
  }

  logs(): Promise<CloudWatchLogsClient> {
    return (this.logsClient ??= import('@aws-sdk/client-cloudwatch-logs').then(({ CloudWatchLogsClient }) => new CloudWatchLogsClient(this.clientConfig())));
  }

  private clientConfig() {
    // Fail fast: an operator waiting on a dead endpoint learns nothing from retries.
    return { ...(this.settings.region ? { region: this.settings.region } : {}), maxAttempts: 2 };
  }
}
