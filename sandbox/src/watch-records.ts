import type { RunnerRecord } from '@runner-fleet/core';

/**
 * Prints each runner's status changes as they are written to DynamoDB, e.g.
 * `ecs-runner-42  queued → starting → idle → busy → completed`, so the
 * sandbox shows a record's whole life without any other tool.
 */
export function recordPrinter(print: (line: string) => void): (record: RunnerRecord) => void {
  const history = new Map<string, string[]>();
  return (record) => {
    const statuses = history.get(record.runnerId) ?? [];
    if (statuses[statuses.length - 1] === record.status) return;
    statuses.push(record.status);
    history.set(record.runnerId, statuses);
    const reason = ['failed', 'cancelled', 'terminated'].includes(record.status) ? `  (${record.statusReason ?? ''})` : '';
    print(`${record.runnerId.padEnd(28)} ${statuses.join(' → ')}${reason}`);
  };
}
