import { isTerminal, type RunnerArchitecture, type RunnerRecord } from '@runner-fleet/core';
import { FREE_EPHEMERAL_STORAGE_GIB, type PriceTable } from './prices.js';

/** Fargate charges at least one minute per task (AWS Fargate pricing). */
export const MINIMUM_BILLED_SECONDS = 60;

/** What one runner's task cost, and what its minutes would cost on a GitHub-hosted runner. */
export interface BilledRun {
  /** Per second, rounded up, at least a minute. */
  billedSeconds: number;
  vcpu: number;
  memoryGB: number;
  architecture: RunnerArchitecture;
  spot: boolean;
  /** Still running: billed up to now. */
  running: boolean;
  /** The GiB above the free 20 that were billed. */
  extraStorageGiB: number;
  fargateUsd: number;
  /** GitHub bills each job's minutes rounded up to a whole minute. */
  githubMinutes: number;
  /** The GitHub-hosted Linux size compared with: the smallest with at least as many cores as the task's vCPUs. */
  githubCores: number;
  githubUsd: number;
}

export type Billing = { kind: 'billed'; run: BilledRun } | { kind: 'no-task' } | { kind: 'no-billing-facts'; reason: string };

/**
 * Fargate's billing rules applied to one record (docs/design-notes.md, "Billing fields"):
 * from the image pull (billingStartedAt, else startedAt) to the stop (billingEndedAt,
 * else finishedAt; now for a live runner), per second with a one-minute minimum, for the
 * task's vCPU and memory at its architecture's price, Spot at the estimated discount,
 * plus ephemeral storage above 20 GiB.
 */
export function billRecord(record: RunnerRecord, prices: PriceTable, now: Date): Billing {
  if (!record.taskArn) return { kind: 'no-task' };
  if (!record.cpu || !record.memory) return { kind: 'no-billing-facts', reason: 'no cpu/memory recorded' };
  const start = record.billingStartedAt ?? record.startedAt;
  // A task that never reached RUNNING reported no pull start: ECS never ran it long enough to tell.
  if (!start) return { kind: 'no-billing-facts', reason: 'the task never reported a start' };
  const running = !isTerminal(record.status);
  const end = record.billingEndedAt ?? record.finishedAt ?? (running ? now.toISOString() : undefined);
  if (!end) return { kind: 'no-billing-facts', reason: 'no stop recorded' };
  const elapsedSeconds = (Date.parse(end) - Date.parse(start)) / 1000;
  if (!Number.isFinite(elapsedSeconds)) return { kind: 'no-billing-facts', reason: 'unreadable billing times' };

  const billedSeconds = Math.max(MINIMUM_BILLED_SECONDS, Math.ceil(elapsedSeconds));
  const hours = billedSeconds / 3600;
  const architecture = record.architecture ?? 'X86_64';
  const spot = record.capacityProvider ? record.capacityProvider === 'FARGATE_SPOT' : (record.spot ?? false);
  const vcpu = record.cpu / 1024;
  const memoryGB = record.memory / 1024;
  const rates = prices.fargate[architecture];
  const compute = hours * (vcpu * rates.vcpuHour + memoryGB * rates.gbHour) * (spot ? 1 - prices.spotDiscount : 1);
  const extraStorageGiB = Math.max(0, (record.ephemeralStorageGiB ?? FREE_EPHEMERAL_STORAGE_GIB) - FREE_EPHEMERAL_STORAGE_GIB);
  const storage = hours * extraStorageGiB * prices.ephemeralStorageGbHour;

  const githubMinutes = Math.ceil(billedSeconds / 60);
  const { cores, perMinute } = nearestGitHubSize(prices.github[architecture], vcpu);
  return {
    kind: 'billed',
    run: {
      billedSeconds,
      vcpu,
      memoryGB,
      architecture,
      spot,
      running,
      extraStorageGiB,
      fargateUsd: compute + storage,
      githubMinutes,
      githubCores: cores,
      githubUsd: githubMinutes * perMinute,
    },
  };
}

/** The smallest GitHub-hosted size with at least `vcpu` cores; the largest listed when none is that big. */
export function nearestGitHubSize(sizes: Record<string, number>, vcpu: number): { cores: number; perMinute: number } {
  const listed = Object.entries(sizes)
    .map(([cores, perMinute]) => ({ cores: Number(cores), perMinute }))
    .sort((a, b) => a.cores - b.cores);
  if (listed.length === 0) throw new Error('the price table lists no GitHub-hosted runner sizes');
  return listed.find((size) => size.cores >= vcpu) ?? listed[listed.length - 1]!;
}
