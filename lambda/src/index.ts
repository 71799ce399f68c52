import { createHandler } from './handler.js';
import { createLogger } from './runtime/logger.js';

export { createHandler, routeOf } from './handler.js';
export { createLogger } from './runtime/logger.js';
export type { Deps, WorkflowJobDetail } from './domain/ports.js';
export type { Log } from './runtime/logger.js';

/** Builds the AWS and GitHub clients; loaded on the first event, so importing the handler stays cheap. */
export async function buildDeps(...args: Parameters<typeof import('./runtime/deps.js').buildDeps>) {
  return (await import('./runtime/deps.js')).buildDeps(...args);
}

const logger = createLogger(process.env);

/** The Lambda entry point: one handler, routed by event shape (DESIGN §1). */
export const handler = createHandler(() => buildDeps(process.env, logger), logger);
