import { createHandler } from './handler.js';
import { buildDeps } from './runtime/deps.js';
import { createLogger } from './runtime/logger.js';

export { createHandler, routeOf } from './handler.js';
export { buildDeps } from './runtime/deps.js';
export { createLogger } from './runtime/logger.js';
export type { Deps, WorkflowJobDetail } from './domain/ports.js';

const logger = createLogger(process.env);

/** The Lambda entry point: one handler, routed by event shape (DESIGN §1). */
export const handler = createHandler(() => buildDeps(process.env, logger), logger);
