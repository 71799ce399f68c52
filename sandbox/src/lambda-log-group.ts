import type { Log } from '@runner-fleet/lambda';
import type { LogsSimulator } from './aws/logs.js';

/** An Error as Powertools prints it (JSON.stringify would print `{}`). */
function serializable(value: unknown): unknown {
  return value instanceof Error ? { name: value.name, message: value.message } : value;
}

/**
 * The control plane's logger, with its ERROR lines also written to the Lambda's log group in the
 * simulated CloudWatch Logs, as Lambda would deliver them (whatever the sandbox's own console
 * level), so the doctor's lambda-errors check reads what really went wrong.
 */
export function logErrorsToLogGroup(log: Log, logs: LogsSimulator, group: string, stream: string): Log {
  return {
    debug: (message, ...extra) => log.debug(message, ...extra),
    info: (message, ...extra) => log.info(message, ...extra),
    warn: (message, ...extra) => log.warn(message, ...extra),
    error: (message, ...extra) => {
      log.error(message, ...extra);
      const fields = Object.fromEntries(extra.flatMap((e) => Object.entries(e)).map(([k, v]) => [k, serializable(v)]));
      logs.write(group, stream, [JSON.stringify({ level: 'ERROR', message, timestamp: new Date().toISOString(), service: 'runner-fleet-control-plane', ...fields })]);
    },
    appendKeys: (keys) => log.appendKeys(keys),
    resetKeys: () => log.resetKeys(),
  };
}
