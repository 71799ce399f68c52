import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { botocoreData, deriveAll } from '../../scripts/vendor-aws-models.mjs';

const data = botocoreData();
const describeWithBotocore = data ? describe : describe.skip;

describeWithBotocore('the vendored AWS models (sandbox/models/aws)', () => {
  it('equal what scripts/vendor-aws-models.mjs derives from the installed botocore', () => {
    const derived = deriveAll(data!);
    for (const [service, text] of Object.entries(derived)) {
      expect({ service, text: readFileSync(new URL(`../models/aws/${service}.json`, import.meta.url), 'utf8') }).toEqual({ service, text });
    }
  });
});
