/**
 * `tsx sandbox/src/check-recorded-requests.ts <requests.jsonl>…`: checks every request moto
 * received during `npm run test:apply` against botocore's full service models (moto accepts
 * values AWS refuses). Prints a JSON summary; exits 1 when a request breaks its model.
 */
import { readFileSync } from 'node:fs';
import { botocoreDataDir, botocoreModel } from './aws/botocore-models.js';
import { checkRecordedRequest, type RecordedRequest } from './aws/recorded-requests.js';

/** SigV4 signing name (what the launcher logs) → botocore's service directory. */
const BOTOCORE_SERVICE: Record<string, string> = {
  apigateway: 'apigatewayv2',
  codebuild: 'codebuild',
  dynamodb: 'dynamodb',
  ec2: 'ec2',
  ecr: 'ecr',
  ecs: 'ecs',
  events: 'events',
  iam: 'iam',
  kms: 'kms',
  lambda: 'lambda',
  logs: 'logs',
  sqs: 'sqs',
  ssm: 'ssm',
  sts: 'sts',
};

const dataDir = botocoreDataDir();
const checked: Record<string, number> = {};
const unchecked: Record<string, number> = {};
const violations: Array<{ request: string; violations: string[] }> = [];
for (const file of process.argv.slice(2)) {
  for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const request = JSON.parse(line) as RecordedRequest;
    const service = BOTOCORE_SERVICE[request.service];
    if (!service) {
      unchecked[request.service || '?'] = (unchecked[request.service || '?'] ?? 0) + 1;
      continue;
    }
    const result = checkRecordedRequest(botocoreModel(service, dataDir), request);
    if (result.kind === 'unchecked') {
      unchecked[`${service} (${result.reason})`] = (unchecked[`${service} (${result.reason})`] ?? 0) + 1;
      continue;
    }
    checked[service] = (checked[service] ?? 0) + 1;
    if (result.violations.length) violations.push({ request: `${service} ${result.operation}: ${request.body.slice(0, 300)}`, violations: result.violations });
  }
}
process.stdout.write(`${JSON.stringify({ checked, unchecked, violations }, null, 1)}\n`);
process.exit(violations.length ? 1 : 0);
