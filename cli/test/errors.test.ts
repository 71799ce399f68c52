import { describe, expect, it } from '@jest/globals';
import { InternalServerError, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { Flags, Parser } from '@oclif/core';
import { CliError, describeFailure, EXIT, failureJson, MAX_ERROR_JSON_BYTES } from '../src/errors.js';

async function parseError(argv: string[]): Promise<unknown> {
  try {
    await Parser.parse(argv, { flags: { limit: Flags.integer({ min: 1 }) } });
  } catch (error) {
    return error;
  }
  throw new Error('the parse did not fail');
}

describe('what a failed command reports', () => {
  it("names a CliError's exit code with EXIT's key", () => {
    expect(describeFailure(new CliError('Runner "x" was not found.', EXIT.runnerNotFound))).toEqual({ code: 'runnerNotFound', exit: 6, message: 'Runner "x" was not found.' });
  });

  it("turns oclif's parse errors into one usage sentence with exit 2", async () => {
    expect(describeFailure(await parseError(['--bogus']))).toEqual({ code: 'usage', exit: 2, message: 'Nonexistent flag: --bogus. See --help.' });
    const badValue = describeFailure(await parseError(['--limit', 'many']));
    expect(badValue).toMatchObject({ code: 'usage', exit: 2 });
    expect(badValue.message).not.toContain('\n');
  });

  it('explains a missing table, and reports other AWS answers as AWS errors rather than bugs', () => {
    const missing = new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} });
    expect(describeFailure(missing, { table: 'fleet-runners' })).toMatchObject({ code: 'resourceNotFound', exit: 5 });
    const outage = describeFailure(new InternalServerError({ message: 'Internal server error', $metadata: { httpStatusCode: 500 } }));
    expect(outage).toMatchObject({ code: 'awsError', exit: EXIT.awsError });
    expect(outage.message).toContain('InternalServerError: Internal server error.');
  });

  it('says when AWS cannot be reached', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED', $metadata: { attempts: 2 } });
    expect(describeFailure(refused)).toMatchObject({ code: 'awsError', exit: EXIT.awsError, message: expect.stringContaining('Could not reach AWS (ECONNREFUSED') });
  });

  it('keeps exit 1 for a genuinely unexpected failure, and points at DEBUG', () => {
    const bug = describeFailure(new TypeError("Cannot read properties of undefined (reading 'status')"));
    expect(bug).toEqual({ code: 'unexpected', exit: 1, message: "Cannot read properties of undefined (reading 'status') (an unexpected error; set DEBUG=* for details)" });
  });

  it('prints one compact JSON line under 2 KB whatever the message', () => {
    const line = failureJson({ code: 'awsError', exit: 12, message: `AWS said ${'"quoted" \u2028 '.repeat(2000)}` });
    expect(line).not.toContain('\n');
    expect(Buffer.byteLength(line)).toBeLessThan(MAX_ERROR_JSON_BYTES);
    expect(JSON.parse(line)).toEqual({ error: { code: 'awsError', exitCode: 12, message: expect.stringMatching(/^AWS said [\s\S]*…$/) } });
  });
});
