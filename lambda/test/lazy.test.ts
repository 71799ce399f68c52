import { describe, expect, it } from '@jest/globals';
import { deferred, lazy, namedExports } from '../src/runtime/lazy.js';

describe('lazy values', () => {
  it('loads once, and forgets a failed load so the next call tries again', async () => {
    let loads = 0;
    const value = lazy(async () => {
      loads++;
      if (loads === 1) throw new Error('SSM unavailable');
      return 'loaded';
    });
    await expect(value()).rejects.toThrow('SSM unavailable');
    expect(await value()).toBe('loaded');
    expect(await value()).toBe('loaded');
    expect(loads).toBe(2);
  });

  it('defers loading an object until a method is called, and is not a thenable', async () => {
    let loads = 0;
    const api = deferred(async () => {
      loads++;
      return { greet: async (name: string) => `hello ${name}` };
    });
    expect(loads).toBe(0);
    expect(await Promise.resolve(api)).toBe(api);
    expect(await api.greet('fleet')).toBe('hello fleet');
    expect(await api.greet('again')).toBe('hello again');
    expect(loads).toBe(1);
  });
});

describe('namedExports', () => {
  class Client {}
  it("keeps a namespace that has the export (Node's own loader)", () => {
    const namespace = { Client, default: { Client } };
    expect(namedExports(namespace, 'Client')).toBe(namespace);
  });
  it("uses module.exports when the namespace holds only `default` (esbuild's ESM bundle)", () => {
    const moduleExports = { Client };
    const namespace = { default: moduleExports } as unknown as { Client: typeof Client };
    expect(namedExports(namespace, 'Client').Client).toBe(Client);
  });
  it('names the missing export instead of failing later with "not a constructor"', () => {
    const namespace = { default: {} } as unknown as { Client: typeof Client };
    expect(() => namedExports(namespace, 'Client')).toThrow('the imported module has no export "Client"');
  });
});
