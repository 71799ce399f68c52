/**
 * Exit codes of ecsrunner, one per kind of failure, so scripts can tell them
 * apart; with --json the key is the error's `code`. oclif itself uses 2 for
 * usage errors.
 */
export const EXIT = {
  unexpected: 1,
  usage: 2,
  configuration: 3,
  credentials: 4,
  resourceNotFound: 5,
  runnerNotFound: 6,
  alreadyFinished: 7,
  badClassSizes: 8,
  confirmationNeeded: 9,
  aborted: 10,
  noTask: 11,
  awsError: 12,
} as const;

/** An error with a sentence that says what to do, and its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exit: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

const CREDENTIAL_ERRORS = new Set([
  'CredentialsProviderError',
  'ExpiredTokenException',
  'ExpiredToken',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'TokenRefreshRequired',
]);

/** Turns the AWS errors an operator can fix into a CliError; anything else is returned unchanged. */
export function explainAwsError(error: unknown, what: { table?: string; parameter?: string }): unknown {
  const name = (error as { name?: string })?.name ?? '';
  const message = (error as Error)?.message ?? String(error);
  if (CREDENTIAL_ERRORS.has(name) || /Could not load credentials|security token.*(expired|invalid)/i.test(message)) {
    return new CliError(`AWS credentials are missing or expired (${name || message}). Sign in again (e.g. aws sso login) or set AWS_PROFILE / --profile.`, EXIT.credentials);
  }
  if (name === 'ResourceNotFoundException' && what.table) {
    return new CliError(`DynamoDB table "${what.table}" was not found in this account and region. Check RUNNER_TABLE / --table and AWS_REGION / --region (terraform output -raw cli_environment).`, EXIT.resourceNotFound);
  }
  if (name === 'ParameterNotFound' && what.parameter) {
    return new CliError(`SSM parameter "${what.parameter}" was not found in this account and region. Check CLASS_SIZES_PARAM / --class-sizes-param and AWS_REGION / --region.`, EXIT.resourceNotFound);
  }
  if (name === 'AccessDeniedException' || name === 'AccessDenied') {
    return new CliError(`AWS denied the request: ${message}`, EXIT.credentials);
  }
  return error;
}

/** The name of an exit code: the `code` of a JSON error, the same words as EXIT's keys. */
export type FailureCode = keyof typeof EXIT;

/** What a failed command reports: a name for scripts, a sentence for people, an exit status. */
export interface Failure {
  code: FailureCode;
  exit: number;
  message: string;
}

const CODE_OF_EXIT = new Map<number, FailureCode>(Object.entries(EXIT).map(([code, exit]) => [exit, code as FailureCode]));
const NETWORK_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);
/** The JSON error stays small even when a message quotes a long AWS answer. */
export const MAX_ERROR_JSON_BYTES = 2048;
const MAX_MESSAGE_CHARS = 1000;

/**
 * Classifies any failure of a command: our own CliErrors, oclif's usage
 * errors (bad flags, arguments, unknown commands), the AWS errors an operator
 * can act on, and everything else as unexpected (exit 1).
 */
export function describeFailure(error: unknown, what: { table?: string; parameter?: string } = {}): Failure {
  const explained = explainAwsError(error, what);
  if (explained instanceof CliError) return failure(explained.exit, explained.message);
  const e = (error ?? {}) as { name?: string; message?: string; code?: string; parse?: unknown; oclif?: { exit?: number }; $metadata?: unknown; $fault?: string };
  const message = typeof e.message === 'string' && e.message !== '' ? e.message : String(error);
  // oclif's parser errors carry the parse; its other usage errors (unknown command) exit 2.
  if (e.parse !== undefined || e.oclif?.exit === EXIT.usage) return failure(EXIT.usage, usageSentence(message));
  if ((e.code && NETWORK_ERRORS.has(e.code)) || e.name === 'TimeoutError') {
    return failure(EXIT.awsError, `Could not reach AWS (${e.code ?? e.name}: ${oneLine(message)}). Check the network, AWS_REGION / --region and AWS_ENDPOINT_URL.`);
  }
  if (e.$metadata !== undefined || e.$fault !== undefined) {
    return failure(EXIT.awsError, `AWS answered ${e.name ?? 'an error'}: ${oneLine(message)}${/\.$/.test(message.trim()) ? '' : '.'} Retry; if it persists, check the region and the service's health.`);
  }
  if (typeof e.oclif?.exit === 'number' && CODE_OF_EXIT.has(e.oclif.exit)) return failure(e.oclif.exit, oneLine(message));
  return failure(EXIT.unexpected, `${oneLine(message)} (an unexpected error; set DEBUG=* for details)`);
}

/** The one compact line printed on stdout with --json: `{"error":{"code","message","exitCode"}}`, under 2 KB. */
export function failureJson(f: Failure): string {
  let message = f.message.length > MAX_MESSAGE_CHARS ? `${f.message.slice(0, MAX_MESSAGE_CHARS - 1)}…` : f.message;
  for (;;) {
    const line = JSON.stringify({ error: { code: f.code, message, exitCode: f.exit } });
    if (Buffer.byteLength(line) < MAX_ERROR_JSON_BYTES || message.length < 10) return line;
    message = `${message.slice(0, Math.floor(message.length * 0.8))}…`;
  }
}

function failure(exit: number, message: string): Failure {
  return { code: CODE_OF_EXIT.get(exit) ?? 'unexpected', exit, message };
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** oclif's "Nonexistent flag: --x\nSee more help with --help" as one sentence. */
function usageSentence(message: string): string {
  const text = oneLine(message.replace(/See more help with --help/g, ''));
  return `${text}${/[.:!?]$/.test(text) ? '' : '.'} See --help.`;
}
