import { describe, expect, it } from '@jest/globals';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { createJitSecrets, jitParameterName } from '../src/adapters/jit-secrets.js';
import { ThrottledError } from '../src/domain/ports.js';

type Sent = { command: string; input: Record<string, unknown> };

/** An SSM client that records each command and answers from a script. */
function fakeSsm(answer: (command: string, input: Record<string, unknown>) => unknown = () => ({})) {
  const sent: Sent[] = [];
  const client = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const name = command.constructor.name.replace(/Command$/, '');
      sent.push({ command: name, input: command.input });
      return answer(name, command.input);
    },
  } as unknown as SSMClient;
  return { client, sent };
}

describe('JIT configs in SSM', () => {
  it('stores a config as a SecureString under <path>/<runnerId>/<digest of the config>, tiered by size', async () => {
    const { client, sent } = fakeSsm();
    const name = await createJitSecrets(client, { path: '/fleet/jit' }).store('ecs-runner-7', 'eyJjb25maWci');
    expect(name).toMatch(/^\/fleet\/jit\/ecs-runner-7\/[0-9a-f]{32}$/);
    expect(name).toBe(jitParameterName('/fleet/jit', 'ecs-runner-7', 'eyJjb25maWci'));
    expect(sent).toEqual([
      {
        command: 'PutParameter',
        input: expect.objectContaining({ Name: name, Type: 'SecureString', Value: 'eyJjb25maWci', Tier: 'Intelligent-Tiering', Overwrite: true }),
      },
    ]);
    // Without a key of its own, SSM uses the account's aws/ssm key.
    expect(sent[0]!.input).not.toHaveProperty('KeyId');
  });

  it("encrypts with the fleet's KMS key when one is configured", async () => {
    const { client, sent } = fakeSsm();
    await createJitSecrets(client, { path: '/fleet/jit', kmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/abc' }).store('ecs-runner-7', 'x');
    expect(sent[0]!.input.KeyId).toBe('arn:aws:kms:eu-west-1:123456789012:key/abc');
  });

  it('names each config differently, so one runner cannot derive the name of another runner\'s config', () => {
    const a = jitParameterName('/fleet/jit', 'ecs-runner-7', 'config-a');
    expect(jitParameterName('/fleet/jit', 'ecs-runner-7', 'config-a')).toBe(a);
    expect(jitParameterName('/fleet/jit', 'ecs-runner-7', 'config-b')).not.toBe(a);
    expect(jitParameterName('/fleet/jit', 'ecs-runner-8', 'config-a')).not.toBe(a);
    expect(a).not.toContain('config-a');
  });

  it('turns SSM throttling into a ThrottledError (a launch to retry later), and passes other errors on', async () => {
    const throttled = fakeSsm(() => {
      throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    });
    await expect(createJitSecrets(throttled.client, { path: '/fleet/jit' }).store('r', 'x')).rejects.toBeInstanceOf(ThrottledError);
    const denied = fakeSsm(() => {
      throw Object.assign(new Error('denied'), { name: 'AccessDeniedException' });
    });
    const error = await createJitSecrets(denied.client, { path: '/fleet/jit' }).store('r', 'x').catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(ThrottledError);
    expect((error as Error).name).toBe('AccessDeniedException');
  });

  it("discards a runner's leftovers with one bounded lookup of its own path, and deletes only what it found", async () => {
    const { client, sent } = fakeSsm((command) =>
      command === 'GetParametersByPath'
        ? { Parameters: [{ Name: '/fleet/jit/ecs-runner-7/aaa' }, { Name: '/fleet/jit/ecs-runner-7/bbb' }] }
        : { DeletedParameters: ['/fleet/jit/ecs-runner-7/aaa'], InvalidParameters: ['/fleet/jit/ecs-runner-7/bbb'] },
    );
    expect(await createJitSecrets(client, { path: '/fleet/jit' }).discard('ecs-runner-7')).toBe(1);
    expect(sent).toEqual([
      { command: 'GetParametersByPath', input: { Path: '/fleet/jit/ecs-runner-7', Recursive: false, MaxResults: 10 } },
      { command: 'DeleteParameters', input: { Names: ['/fleet/jit/ecs-runner-7/aaa', '/fleet/jit/ecs-runner-7/bbb'] } },
    ]);
  });

  it('makes one call when nothing is left (the runner deleted its config itself)', async () => {
    const { client, sent } = fakeSsm(() => ({ Parameters: [] }));
    expect(await createJitSecrets(client, { path: '/fleet/jit' }).discard('ecs-runner-7')).toBe(0);
    expect(sent.map((s) => s.command)).toEqual(['GetParametersByPath']);
  });
});
