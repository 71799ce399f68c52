/**
 * Exit codes of ecsrunner, one per kind of failure, so scripts can tell them
 * apart. oclif itself uses 2 for usage errors.
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
