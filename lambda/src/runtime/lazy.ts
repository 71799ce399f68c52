/**
 * A value loaded on first use and kept for the life of the Lambda. A failed
 * load is forgotten, so the next call tries again instead of failing forever.
 */
export function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    if (!value) {
      value = load();
      value.catch(() => (value = undefined));
    }
    return value;
  };
}

/** The same, one value per key. */
export function lazyByKey<K, T>(load: (key: K) => Promise<T>): (key: K) => Promise<T> {
  const values = new Map<K, Promise<T>>();
  return (key) => {
    let value = values.get(key);
    if (!value) {
      value = load(key);
      value.catch(() => values.delete(key));
      values.set(key, value);
    }
    return value;
  };
}

/**
 * An object whose methods are all async, loaded (module and client) on the
 * first call of any of them: ingress never pays for what only dispatch uses.
 */
export function deferred<T extends object>(load: () => Promise<T>): T {
  const target = lazy(load);
  return new Proxy({} as T, {
    // Not a promise: `then` must stay undefined, or awaiting the object would call into it.
    get: (_, method) => (method === 'then' ? undefined : async (...args: unknown[]) => {
      const loaded = (await target()) as Record<PropertyKey, (...a: unknown[]) => unknown>;
      return loaded[method]!(...args);
    }),
  });
}

/**
 * A CommonJS package's named exports from a dynamic `import()`. Node puts them
 * on the namespace; esbuild's ESM bundle puts only `default` (module.exports)
 * there, so `new (await import('@aws-sdk/client-ecs')).ECSClient` would fail
 * in the Lambda with "ECSClient is not a constructor".
 */
export function namedExports<T extends object>(namespace: T, name: keyof T & string): T {
  if (typeof namespace[name] !== 'undefined') return namespace;
  const commonJs = (namespace as { default?: T }).default;
  if (commonJs && typeof commonJs[name] !== 'undefined') return commonJs;
  throw new Error(`the imported module has no export "${name}"`);
}
