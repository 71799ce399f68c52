import type { RunnerUpdate } from '@runner-fleet/core';
import type { Config } from '../config.js';

/** What an ECS task (its state-change event, or DescribeTasks) says about what it is billed for. */
export interface TaskBillingDetail {
  startedAt?: string;
  /** When the image pull began: Fargate bills from here (AWS Fargate pricing). */
  pullStartedAt?: string;
  stoppedAt?: string;
  capacityProviderName?: string;
  ephemeralStorage?: { sizeInGiB?: number };
  attributes?: Array<{ name?: string; value?: string }>;
}

/**
 * The record fields `ecsrunner cost` needs (docs/design-notes.md, "Billing fields"),
 * from what ECS reported; a fact ECS did not report is left out, never guessed,
 * except the architecture, which the fleet's task definition fixes.
 */
export function billingFacts(detail: TaskBillingDetail, config: Pick<Config, 'runnerArchitecture'>): RunnerUpdate {
  const reported = detail.attributes?.find((a) => a.name === 'ecs.cpu-architecture')?.value?.toUpperCase();
  const architecture = reported === 'ARM64' ? 'ARM64' : reported === 'X86_64' ? 'X86_64' : config.runnerArchitecture;
  const facts: RunnerUpdate = { architecture };
  const billingStartedAt = detail.pullStartedAt ?? detail.startedAt;
  if (billingStartedAt) facts.billingStartedAt = billingStartedAt;
  if (detail.stoppedAt) facts.billingEndedAt = detail.stoppedAt;
  if (detail.capacityProviderName) facts.capacityProvider = detail.capacityProviderName;
  const storage = detail.ephemeralStorage?.sizeInGiB;
  if (typeof storage === 'number' && Number.isFinite(storage) && storage > 0) facts.ephemeralStorageGiB = storage;
  return facts;
}
