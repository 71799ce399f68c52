import { createHash } from 'node:crypto';
import { DeleteParametersCommand, GetParametersByPathCommand, PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { ThrottledError, type JitSecrets } from '../domain/ports.js';

/** GetParametersByPath answers at most 10 per page; a runner holds one parameter per launch attempt, usually one. */
const MAX_PER_RUNNER = 10;

/**
 * `<path>/<runnerId>/<digest>`. The digest comes from the config itself, so the name cannot be
 * guessed by another runner's task (they share the task role) and a retry of the same launch
 * attempt (same config) writes and passes the same name: RunTask's idempotency token still holds.
 */
export function jitParameterName(path: string, runnerId: string, jitConfig: string): string {
  const digest = createHash('sha256').update(`jit-parameter\n${runnerId}\n${jitConfig}`).digest('hex').slice(0, 32);
  return `${path}/${runnerId}/${digest}`;
}

const isThrottling = (error: unknown) => ['ThrottlingException', 'TooManyUpdates'].includes((error as { name?: string }).name ?? '');

/**
 * JIT configs as SSM SecureStrings, encrypted with `kmsKeyId` (absent: the account's aws/ssm key).
 * Intelligent-Tiering: a config of 4 KB or less is a standard parameter, a bigger one (GitHub's
 * configs are close to 4 KB) advanced, which holds up to 8 KB.
 */
export function createJitSecrets(ssm: SSMClient, options: { path: string; kmsKeyId?: string }): JitSecrets {
  return {
    async store(runnerId, jitConfig) {
      const name = jitParameterName(options.path, runnerId, jitConfig);
      try {
        await ssm.send(
          new PutParameterCommand({
            Name: name,
            Description: `JIT config of runner ${runnerId}; its task deletes it when it starts`,
            Type: 'SecureString',
            Value: jitConfig,
            Tier: 'Intelligent-Tiering',
            Overwrite: true,
            ...(options.kmsKeyId ? { KeyId: options.kmsKeyId } : {}),
          }),
        );
      } catch (error) {
        // PutParameter's quota is a few per second per account: a burst of launches is slowed down, not failed.
        if (isThrottling(error)) throw new ThrottledError(`SSM throttled PutParameter: ${(error as Error).message}`, { cause: error });
        throw error;
      }
      return name;
    },

    async discard(runnerId) {
      const found = await ssm.send(new GetParametersByPathCommand({ Path: `${options.path}/${runnerId}`, Recursive: false, MaxResults: MAX_PER_RUNNER }));
      const names = (found.Parameters ?? []).map((p) => p.Name).filter((n): n is string => Boolean(n));
      if (names.length === 0) return 0;
      // A name deleted meanwhile (by the task) comes back in InvalidParameters: gone is what was wanted.
      const deleted = await ssm.send(new DeleteParametersCommand({ Names: names }));
      return deleted.DeletedParameters?.length ?? 0;
    },
  };
}
