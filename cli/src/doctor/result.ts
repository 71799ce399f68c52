/** One line of `ecsrunner doctor`: what was checked, how it stands, and what to do. */
export type CheckStatus = 'PASS' | 'WARN' | 'FAIL';

export interface CheckResult {
  /** Stable id of the check (e.g. `runner-table`), for scripts. */
  check: string;
  status: CheckStatus;
  /** One sentence: the finding and, unless PASS, what to do. */
  message: string;
  details?: Record<string, unknown>;
}

export const pass = (check: string, message: string, details?: Record<string, unknown>): CheckResult => ({ check, status: 'PASS', message, ...(details ? { details } : {}) });
export const warn = (check: string, message: string, details?: Record<string, unknown>): CheckResult => ({ check, status: 'WARN', message, ...(details ? { details } : {}) });
export const fail = (check: string, message: string, details?: Record<string, unknown>): CheckResult => ({ check, status: 'FAIL', message, ...(details ? { details } : {}) });

/** The sentence for a check that could not run because of an AWS or GitHub error. */
export function errorResult(check: string, what: string, error: unknown): CheckResult {
  const name = (error as { name?: string })?.name;
  const message = (error as Error)?.message ?? String(error);
  if (name === 'AccessDeniedException' || name === 'AccessDenied' || /not authorized/i.test(message)) {
    return fail(check, `${what}: AWS denied the request (${message}); give your role the read permissions listed in the README's "ecsrunner doctor" section.`);
  }
  return fail(check, `${what} failed: ${name && name !== 'Error' ? `${name}: ` : ''}${message}.`);
}

/** "1 job", "2 jobs". */
export const count = (n: number, noun: string, plural = `${noun}s`) => `${n} ${n === 1 ? noun : plural}`;
