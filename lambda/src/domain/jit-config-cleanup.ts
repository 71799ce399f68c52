import type { Deps } from './ports.js';

/**
 * Deletes a runner's stored JIT config(s); a failure is only logged, since the runner is
 * unregistered anyway. Its own small module: ingress's job-progress uses it, and must not load
 * dispatch's code on a cold start.
 */
export async function discardJitConfig(runnerId: string, deps: Pick<Deps, 'jitSecrets' | 'log'>): Promise<void> {
  await deps.jitSecrets.discard(runnerId).catch((error: unknown) => deps.log.warn('could not delete the stored JIT config; its runner is unregistered, so the config no longer works', { error }));
}
