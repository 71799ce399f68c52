import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { RunnerStore } from '@runner-fleet/core/store';
import { fleetDescriptorParam, parseFleetDescriptor, type FleetDescriptor } from '@runner-fleet/core';
import { CliError, EXIT } from './errors.js';

export interface FleetSettings {
  /** Name prefix of a deployment whose descriptor (`/<prefix>/fleet`) fills in every setting not given. */
  fleet?: string;
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
  /** The deployment's descriptor, once resolve() read it. */
  descriptor?: FleetDescriptor;
  private resolving?: Promise<void>;

  constructor(readonly settings: FleetSettings) {
    // The SDK's default credential chain reads AWS_PROFILE; a --profile flag sets it for this run.
    if (settings.profile) process.env.AWS_PROFILE = settings.profile;
  }

  /**
   * With --fleet: reads the descriptor once (one GetParameter, however often it is called) and
   * fills in every setting that no flag or environment variable gave; explicit settings win.
   */
  resolve(): Promise<void> {
    return (this.resolving ??= this.readDescriptor());
  }

  private async readDescriptor(): Promise<void> {
    const prefix = this.settings.fleet;
    if (!prefix) return;
    const name = fleetDescriptorParam(prefix);
    const { GetParameterCommand } = await import('@aws-sdk/client-ssm');
    let value: string | undefined;
    try {
      value = (await (await this.ssm()).send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
    } catch (error) {
      if ((error as { name?: string }).name === 'ParameterNotFound') {
        throw new CliError(`The fleet descriptor ${name} was not found: check --fleet / ECSRUNNER_FLEET (the Terraform name_prefix, "${prefix}" here) and AWS_REGION / --region.`, EXIT.configuration);
      }
      throw error;
    }
    try {
      this.descriptor = parseFleetDescriptor(value ?? '');
    } catch (error) {
      throw new CliError(`${name}: ${(error as Error).message}. Re-apply the Terraform module to rewrite it.`, EXIT.configuration);
    }
    this.settings.table ??= this.descriptor.runnerTable;
    this.settings.classSizesParam ??= this.descriptor.classSizesParam;
  }

  get tableName(): string {
    if (!this.settings.table) {
      throw new CliError('RUNNER_TABLE is not set: export ECSRUNNER_FLEET=<name_prefix> (or RUNNER_TABLE, or pass --fleet / --table). The Terraform output cli_environment has the lines: eval "$(terraform output -raw cli_environment)".', EXIT.configuration);
    }
    return this.settings.table;
  }

  get classSizesParam(): string {
    if (!this.settings.classSizesParam) {
      throw new CliError('CLASS_SIZES_PARAM is not set: export ECSRUNNER_FLEET=<name_prefix> (or CLASS_SIZES_PARAM, or pass --fleet / --class-sizes-param). The Terraform output cli_environment has the lines: eval "$(terraform output -raw cli_environment)".', EXIT.configuration);
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
