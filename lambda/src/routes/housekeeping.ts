import { housekeeping as sweep } from '../domain/housekeeping.js';
import type { Deps } from '../domain/ports.js';

/** The one-minute schedule; `budgetMs` is what the Lambda's remaining time allows. */
export async function housekeeping(deps: Deps, options: { budgetMs?: number } = {}): Promise<void> {
  await sweep(deps, options);
}
