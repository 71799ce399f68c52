import { CapacityError, LaunchRefusedError, RetryableError, ThrottledError } from '../domain/ports.js';

/**
 * ECS's documented transient errors: ServerException ("usually caused by a
 * server issue"), ThrottlingException, and InvalidParameterException with
 * the message "Request limit exceeded" (ECS's API throttling, documented in
 * the ECS API reference's common errors).
 */
const THROTTLING_ERRORS = new Set(['ThrottlingException']);
const TRANSIENT_ERRORS = new Set(['ServerException']);
const REQUEST_LIMIT = /request limit exceeded/i;

/** Errors about the request itself: no retry of the same request can fix them. */
const PERMANENT_ERRORS = new Set([
  'ClientException',
  'InvalidParameterException',
  'ClusterNotFoundException',
  'PlatformUnknownException',
  'PlatformTaskDefinitionIncompatibilityException',
  'UnsupportedFeatureException',
  'AccessDeniedException',
  'BlockedException',
]);

/** RunTask `failures[]` reasons that mean the capacity provider had none (RESOURCE:CPU, RESOURCE:MEMORY, RESOURCE:ENI, ...). */
const CAPACITY_FAILURE = /capacity is unavailable|^RESOURCE:|; RESOURCE:/i;

/**
 * What a RunTask error means for the launch:
 * - ThrottledError / RetryableError: ECS answered and started nothing; try again later.
 *   A ConflictException (the clientToken was used before with other parameters)
 *   is one: the next attempt registers a new JIT runner and so uses a new token.
 * - LaunchRefusedError: the request is wrong; the runner fails.
 * - anything else is returned unchanged (e.g. a timeout): a task may exist.
 */
export function classifyRunTaskError(error: unknown): unknown {
  const name = (error as { name?: string }).name ?? '';
  const message = (error as Error).message ?? '';
  if (THROTTLING_ERRORS.has(name) || (name === 'InvalidParameterException' && REQUEST_LIMIT.test(message))) {
    return new ThrottledError(message, { cause: error });
  }
  if (TRANSIENT_ERRORS.has(name)) return new RetryableError(`ECS failed RunTask (${name}): ${message}`, { cause: error });
  if (name === 'ConflictException') return new RetryableError(`RunTask clientToken conflict (${name}): ${message}`, { cause: error });
  if (PERMANENT_ERRORS.has(name)) return new LaunchRefusedError(`${name}: ${message}`);
  return error;
}

/** RunTask answered with no task: capacity (another provider or a later try may help) or another retryable reason. */
export function noTaskError(failures: Array<{ reason?: string; detail?: string }>): RetryableError {
  const reasons = failures.map((f) => `${f.reason ?? 'unknown'}${f.detail ? ` (${f.detail})` : ''}`).join('; ');
  const message = `RunTask started no task: ${reasons || 'no failure reason given'}`;
  return CAPACITY_FAILURE.test(reasons) ? new CapacityError(message) : new RetryableError(message);
}
