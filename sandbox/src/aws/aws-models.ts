import { readFileSync } from 'node:fs';

/** One shape of a vendored botocore model, trimmed to what request validation needs. */
export interface ModelShape {
  type: 'structure' | 'list' | 'map' | 'string' | 'integer' | 'long' | 'boolean' | 'timestamp' | 'blob' | 'double' | 'float';
  required?: string[];
  members?: Record<string, { shape: string }>;
  member?: { shape: string };
  key?: { shape: string };
  value?: { shape: string };
  enum?: string[];
  min?: number;
  max?: number;
  pattern?: string;
}

/** The input shapes of the operations the sandbox simulates for one service (scripts/vendor-aws-models.mjs writes them). */
export interface ServiceModel {
  source: string;
  service: string;
  apiVersion: string;
  protocol: string;
  /** The JSON protocols' X-Amz-Target prefix; absent for REST-JSON (Lambda) and query (STS) services. */
  targetPrefix?: string;
  /** The `__type` the service answers a request that breaks its model with. */
  validationError: string;
  operations: Record<string, { input?: string; output?: string }>;
  shapes: Record<string, ModelShape>;
}

/** botocore service names of the simulated services. */
export const MODELED_SERVICES = ['ecs', 'ssm', 'events', 'logs', 'ecr', 'codebuild', 'lambda', 'sqs', 'sts'] as const;
export type ModeledService = (typeof MODELED_SERVICES)[number];
/** Vendored beyond the served services: DynamoDB Streams' records (what a simulator produces) and DynamoDB's TransactWriteItems (what the front on dynalite adds). */
export type VendoredModel = ModeledService | 'dynamodbstreams' | 'dynamodb';

const cache = new Map<string, ServiceModel>();

export function loadServiceModel(service: VendoredModel): ServiceModel {
  let model = cache.get(service);
  if (!model) {
    model = JSON.parse(readFileSync(new URL(`../../models/aws/${service}.json`, import.meta.url), 'utf8')) as ServiceModel;
    cache.set(service, model);
  }
  return model;
}

/** The vendored model whose JSON 1.1 target prefix is `targetPrefix`, if any. */
export function modelForTargetPrefix(targetPrefix: string): ServiceModel | undefined {
  return MODELED_SERVICES.map(loadServiceModel).find((model) => model.targetPrefix === targetPrefix);
}
