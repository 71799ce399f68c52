import type { FleetDescriptor } from '@runner-fleet/core';
import type { Fleet } from '../fleet.js';
import type { AwsCaller } from './aws-call.js';
import type { GitHubApi } from './github-api.js';

/** What every group of checks receives: the fleet's clients and settings, and the clock. */
export interface DoctorContext {
  fleet: Fleet;
  descriptor?: FleetDescriptor;
  caller: () => Promise<AwsCaller>;
  /** The GitHub API with the fleet's own credential (read from SSM as the Lambda does). */
  github: () => Promise<GitHubApi>;
  /** The Lambda's environment once the Lambda check read it (thresholds of the fleet checks). */
  lambdaEnv?: Record<string, string>;
  now: Date;
  queuedMinutes: number;
}
