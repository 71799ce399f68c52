import { describe, expect, it } from '@jest/globals';
import { AwsError, decodeRequest } from '../src/aws/protocol.js';
import { SsmSimulator } from '../src/aws/ssm.js';

/** The simulated Parameter Store, called as the wire calls it: the request decoded and checked against botocore's SSM model first. */
function simulator() {
  const ssm = new SsmSimulator('eu-west-1');
  const ops = ssm.service().operations;
  const call = async (operation: string, input: Record<string, unknown>) => ops[operation]!(decodeRequest('AmazonSSM', operation, Buffer.from(JSON.stringify(input))));
  return { ssm, call };
}
const errorOf = async (fn: () => Promise<unknown>) => fn().then(() => undefined, (e: unknown) => e as AwsError);

describe('simulated SSM Parameter Store', () => {
  it('keeps a value over 4 KB only in the advanced tier, which Intelligent-Tiering picks by itself', async () => {
    const { call } = simulator();
    const big = 'x'.repeat(5000);
    expect((await errorOf(() => call('PutParameter', { Name: '/a/standard', Type: 'SecureString', Value: big })))?.message).toMatch(/Standard tier parameters support a maximum parameter value of 4096 characters/);
    expect(await call('PutParameter', { Name: '/a/tiered', Type: 'SecureString', Value: big, Tier: 'Intelligent-Tiering' })).toEqual({ Version: 1, Tier: 'Advanced' });
    expect(await call('PutParameter', { Name: '/a/small', Type: 'SecureString', Value: 'x', Tier: 'Intelligent-Tiering' })).toEqual({ Version: 1, Tier: 'Standard' });
    expect((await errorOf(() => call('PutParameter', { Name: '/a/huge', Type: 'SecureString', Value: 'x'.repeat(8193), Tier: 'Advanced' })))?.code).toBe('ValidationException');
  });

  it('refuses a tier the model does not know, and a KeyId on a plain String', async () => {
    const { call } = simulator();
    expect((await errorOf(() => call('PutParameter', { Name: '/a/b', Type: 'SecureString', Value: 'x', Tier: 'Premium' })))?.code).toBe('ValidationException');
    expect((await errorOf(() => call('PutParameter', { Name: '/a/b', Type: 'String', Value: 'x', KeyId: 'alias/fleet' })))?.message).toContain('KeyId is required for SecureString type parameter only');
  });

  it('answers a SecureString encrypted unless decryption is asked for, and remembers its key', async () => {
    const { ssm, call } = simulator();
    await call('PutParameter', { Name: '/a/b', Type: 'SecureString', Value: 'secret', KeyId: 'alias/fleet' });
    expect(((await call('GetParameter', { Name: '/a/b' })) as { Parameter: { Value: string } }).Parameter.Value).not.toContain('secret');
    expect(((await call('GetParameter', { Name: '/a/b', WithDecryption: true })) as { Parameter: { Value: string } }).Parameter.Value).toBe('secret');
    expect(ssm.parameters.get('/a/b')?.keyId).toBe('alias/fleet');
  });

  it('lists one level under a path (or every level with Recursive), a page of MaxResults at a time', async () => {
    const { call } = simulator();
    for (const name of ['/jit/r1/a', '/jit/r1/b', '/jit/r1/c/d', '/jit/r10/a', '/jit/r2/a']) await call('PutParameter', { Name: name, Type: 'SecureString', Value: 'v' });
    const names = (out: unknown) => (out as { Parameters: Array<{ Name: string }> }).Parameters.map((p) => p.Name);
    expect(names(await call('GetParametersByPath', { Path: '/jit/r1' }))).toEqual(['/jit/r1/a', '/jit/r1/b']);
    expect(names(await call('GetParametersByPath', { Path: '/jit/r1', Recursive: true }))).toEqual(['/jit/r1/a', '/jit/r1/b', '/jit/r1/c/d']);
    const first = (await call('GetParametersByPath', { Path: '/jit/r1', MaxResults: 1 })) as { NextToken?: string };
    expect(names(first)).toEqual(['/jit/r1/a']);
    expect(names(await call('GetParametersByPath', { Path: '/jit/r1', MaxResults: 1, NextToken: first.NextToken }))).toEqual(['/jit/r1/b']);
    expect((await errorOf(() => call('GetParametersByPath', { Path: '/jit', MaxResults: 11 })))?.code).toBe('ValidationException');
  });

  it('deletes several at once, naming the ones it did not find', async () => {
    const { ssm, call } = simulator();
    await call('PutParameter', { Name: '/a/1', Type: 'String', Value: 'v' });
    expect(await call('DeleteParameters', { Names: ['/a/1', '/a/2'] })).toEqual({ DeletedParameters: ['/a/1'], InvalidParameters: ['/a/2'] });
    expect(ssm.parameters.size).toBe(0);
    expect((await errorOf(() => call('DeleteParameter', { Name: '/a/1' })))?.code).toBe('ParameterNotFound');
  });
});
