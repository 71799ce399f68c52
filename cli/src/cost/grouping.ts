import type { RunnerRecord } from '@runner-fleet/core';
import type { BilledRun } from './billing.js';

export const GROUPINGS = ['repo', 'class', 'workflow', 'day'] as const;
export type Grouping = (typeof GROUPINGS)[number];

/** One row of the report: the runners of a group and what they cost. */
export interface CostGroup {
  key: string;
  runners: number;
  /** Of those, still running (billed up to now). */
  running: number;
  billedMinutes: number;
  vcpuHours: number;
  fargateUsd: number;
  githubMinutes: number;
  githubUsd: number;
}

export function groupKey(record: RunnerRecord, by: Grouping): string {
  switch (by) {
    case 'repo':
      return record.repo;
    case 'class':
      return record.runnerClass ?? '(no class)';
    case 'workflow':
      return `${record.repo} · ${record.workflowName ?? '(no workflow name)'}`;
    case 'day':
      // The UTC day billing started: a runner belongs to the day it ran.
      return (record.billingStartedAt ?? record.startedAt ?? record.createdAt).slice(0, 10);
  }
}

/** Sums per group, most expensive first (days in order). */
export function summarize(runs: Array<{ record: RunnerRecord; run: BilledRun }>, by: Grouping): { groups: CostGroup[]; total: CostGroup } {
  const groups = new Map<string, CostGroup>();
  const total = emptyGroup('total');
  for (const { record, run } of runs) {
    const key = groupKey(record, by);
    const group = groups.get(key) ?? emptyGroup(key);
    groups.set(key, group);
    for (const g of [group, total]) add(g, run);
  }
  const sorted = [...groups.values()].sort(by === 'day' ? (a, b) => a.key.localeCompare(b.key) : (a, b) => b.fargateUsd - a.fargateUsd || a.key.localeCompare(b.key));
  return { groups: sorted, total };
}

function emptyGroup(key: string): CostGroup {
  return { key, runners: 0, running: 0, billedMinutes: 0, vcpuHours: 0, fargateUsd: 0, githubMinutes: 0, githubUsd: 0 };
}

function add(group: CostGroup, run: BilledRun): void {
  group.runners += 1;
  if (run.running) group.running += 1;
  group.billedMinutes += run.billedSeconds / 60;
  group.vcpuHours += (run.vcpu * run.billedSeconds) / 3600;
  group.fargateUsd += run.fargateUsd;
  group.githubMinutes += run.githubMinutes;
  group.githubUsd += run.githubUsd;
}
