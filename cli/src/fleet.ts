import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { RunnerStore } from '@runner-fleet/core/store';
import { CliError, EXIT } from './errors.js';

export interface FleetSettings {
  table?: string;
  classSizesParam?: string;
  region?: string;
  profile?: string;
}

/** The AWS clients a command needs, built on first use from flags (which win) and the environment. */
export class Fleet {
  private clients: { doc?: DynamoDBDocumentClient; ecs?: ECSClient; ssm?: SSMClient; logs?: CloudWatchLogsClient } = {};

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

  store(): RunnerStore {
    const table = this.tableName;
    this.clients.doc ??= DynamoDBDocumentClient.from(new DynamoDBClient(this.clientConfig()), { marshallOptions: { removeUndefinedValues: true } });
    return new RunnerStore(this.clients.doc, { tableName: table, retentionDays: 30 });
  }

  ecs(): ECSClient {
    return (this.clients.ecs ??= new ECSClient(this.clientConfig()));
  }

  ssm(): SSMClient {
    return (this.clients.ssm ??= new SSMClient(this.clientConfig()));
  }

  logs(): CloudWatchLogsClient {
    return (this.clients.logs ??= new CloudWatchLogsClient(this.clientConfig()));
  }

  private clientConfig() {
    // Fail fast: an operator waiting on a dead endpoint learns nothing from retries.
    return { ...(this.settings.region ? { region: this.settings.region } : {}), maxAttempts: 2 };
  }
}
