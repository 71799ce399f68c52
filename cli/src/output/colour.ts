import type { RunnerStatus } from '@runner-fleet/core';

/**
 * Colours only for a person at a terminal: never when the stream is not a
 * TTY, when NO_COLOR is set to anything but "" (no-color.org), or on a dumb terminal.
 */
export function colourEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

const SGR = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, dim: 2 } as const;

const STATUS_COLOUR: Record<RunnerStatus, keyof typeof SGR> = {
  queued: 'yellow',
  image_building: 'yellow',
  starting: 'blue',
  idle: 'cyan',
  busy: 'green',
  completed: 'dim',
  failed: 'red',
  cancelled: 'dim',
  terminated: 'magenta',
};

export function paintStatus(text: string, status: RunnerStatus): string {
  const colour = STATUS_COLOUR[status];
  return colour ? `\u001b[${SGR[colour]}m${text}\u001b[0m` : text;
}
