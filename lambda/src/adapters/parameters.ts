import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';

/**
 * SSM parameters read once and kept for `ttlMs`, so a rotated secret or a new
 * class map reaches warm Lambdas within minutes without a read per event.
 */
export function createParameterReader(ssm: SSMClient, ttlMs: number, now: () => number = Date.now) {
  const cache = new Map<string, { value: Promise<string>; readAt: number }>();
  return function read(name: string): Promise<string> {
    const hit = cache.get(name);
    if (hit && now() - hit.readAt < ttlMs) return hit.value;
    const value = ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true })).then((out) => {
      if (out.Parameter?.Value === undefined) throw new Error(`SSM parameter ${name} has no value`);
      return out.Parameter.Value;
    });
    value.catch(() => cache.delete(name));
    cache.set(name, { value, readAt: now() });
    return value;
  };
}
