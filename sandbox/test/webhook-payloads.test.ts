import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import { workflowJobPayload } from '../src/github/webhooks.js';

// CommonJS packages: required, so their default exports need no ESM interop.
const require = createRequire(import.meta.url);
interface SchemaCompiler {
  addSchema(schema: object, key: string): unknown;
  compile(schema: object): ValidateFunction;
}
const Ajv2020 = require('ajv/dist/2020.js') as new (options: object) => SchemaCompiler;
const addFormats = require('ajv-formats') as (ajv: SchemaCompiler) => unknown;

const DESCRIPTIONS = ['api.github.com', 'ghec', 'ghes-3.19'];
const ACTIONS = ['queued', 'in_progress', 'completed', 'waiting'] as const;

function validatorFor(description: string, action: (typeof ACTIONS)[number]) {
  const document = JSON.parse(readFileSync(new URL(`../../node_modules/@octokit/openapi-webhooks/generated/${description}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'webhooks', components: document.components }, 'webhooks');
  return ajv.compile({ $ref: `webhooks#/components/schemas/webhook-workflow-job-${action.replace('_', '-')}` });
}

describe.each(DESCRIPTIONS)('the sandbox workflow_job payloads against the %s webhook schemas', (description) => {
  it.each(ACTIONS.map((a) => [a]))('%s validates', (action) => {
    const validate = validatorFor(description, action);
    const payload = workflowJobPayload(action, 'octo/fleet', { id: 11, runId: 22, labels: ['self-hosted', 'fargate'], runnerName: action === 'queued' ? null : 'r1', runnerId: action === 'queued' ? null : 5 }, 31415926);
    validate(payload);
    expect(validate.errors ?? []).toEqual([]);
  });

  it('refuses a payload that breaks the schema (the check can fail)', () => {
    const validate = validatorFor(description, 'queued');
    const payload = workflowJobPayload('queued', 'octo/fleet', { id: 11, runId: 22, labels: ['x'] });
    (payload.workflow_job as Record<string, unknown>).status = 'exploded';
    expect(validate(payload)).toBe(false);
  });
});
