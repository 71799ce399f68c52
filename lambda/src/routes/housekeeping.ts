import { housekeeping as sweep } from '../domain/housekeeping.js';
import type { Deps } from '../domain/ports.js';

/** The one-minute schedule. */
export async function housekeeping(deps: Deps): Promise<void> {
  await sweep(deps);
}
