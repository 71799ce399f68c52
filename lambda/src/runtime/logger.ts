import { Logger } from '@aws-lambda-powertools/logger';

/** The slice of Powertools' Logger the control plane uses; tests hand in a recorder. */
export interface Log {
  debug(message: string, ...extra: Array<Record<string, unknown>>): void;
  info(message: string, ...extra: Array<Record<string, unknown>>): void;
  warn(message: string, ...extra: Array<Record<string, unknown>>): void;
  error(message: string, ...extra: Array<Record<string, unknown>>): void;
  appendKeys(keys: Record<string, unknown>): void;
  resetKeys(): void;
}

export function createLogger(env: Record<string, string | undefined>): Logger {
  return new Logger({
    serviceName: 'runner-fleet-control-plane',
    logLevel: (env.LOG_LEVEL ?? env.POWERTOOLS_LOG_LEVEL ?? 'INFO') as 'INFO',
  });
}
