import { describe, expect, it } from '@jest/globals';
import type { RunnerRecord } from '@runner-fleet/core';
import { billRecord, nearestGitHubSize, type BilledRun } from '../src/cost/billing.js';
import { summarize } from '../src/cost/grouping.js';
import { DEFAULT_PRICES, mergePrices, PricesFileError } from '../src/cost/prices.js';

const NOW = new Date('2026-03-02T00:00:00.000Z');
const at = (seconds: number) => new Date(Date.parse('2026-03-01T10:00:00.000Z') + seconds * 1000).toISOString();

/** A finished runner of 1 vCPU / 2 GB on on-demand x86 that was billed for `seconds`. */
function runner(seconds: number, extra: Partial<RunnerRecord> = {}): RunnerRecord {
  return {
    runnerId: `ecs-runner-${seconds}`,
    status: 'completed',
    repo: 'octo-org/octo-repo',
    jobId: 1,
    runId: 1,
    runAttempt: 1,
    labels: ['self-hosted'],
    runnerClass: 'medium',
    cpu: 1024,
    memory: 2048,
    taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/fleet/abc',
    createdAt: at(-30),
    updatedAt: at(seconds),
    startedAt: at(20),
    finishedAt: at(seconds + 5),
    billingStartedAt: at(0),
    billingEndedAt: at(seconds),
    architecture: 'X86_64',
    capacityProvider: 'FARGATE',
    version: 5,
    ...extra,
  };
}

function billed(record: RunnerRecord, prices = DEFAULT_PRICES): BilledRun {
  const billing = billRecord(record, prices, NOW);
  if (billing.kind !== 'billed') throw new Error(`not billed: ${billing.kind}`);
  return billing.run;
}

describe('Fargate billing rules', () => {
  it('bills per second from the image pull to the stop: 10 min of 1 vCPU / 2 GB on x86 is (0.04048 + 2 × 0.004445) / 6', () => {
    const run = billed(runner(600));
    expect(run.billedSeconds).toBe(600);
    expect(run.fargateUsd).toBeCloseTo((0.04048 + 2 * 0.004445) / 6, 12);
  });

  it('rounds a partial second up', () => {
    expect(billed(runner(600, { billingEndedAt: new Date(Date.parse(at(600)) + 200).toISOString() })).billedSeconds).toBe(601);
  });

  it('charges a task that ran 12 seconds for a whole minute', () => {
    const run = billed(runner(12));
    expect(run.billedSeconds).toBe(60);
    expect(run.fargateUsd).toBeCloseTo((0.04048 + 2 * 0.004445) / 60, 12);
  });

  it("prices ARM tasks at ARM's rates", () => {
    const run = billed(runner(3600, { architecture: 'ARM64', cpu: 2048, memory: 4096 }));
    expect(run.fargateUsd).toBeCloseTo(2 * 0.03238 + 4 * 0.00356, 12);
  });

  it('takes the estimated Spot discount off vCPU and memory when ECS ran the task on FARGATE_SPOT', () => {
    const run = billed(runner(3600, { capacityProvider: 'FARGATE_SPOT', spot: true }));
    expect(run.spot).toBe(true);
    expect(run.fargateUsd).toBeCloseTo((0.04048 + 2 * 0.004445) * 0.3, 12);
  });

  it('bills on-demand a Spot runner that ECS started on FARGATE (no Spot capacity)', () => {
    expect(billed(runner(3600, { capacityProvider: 'FARGATE', spot: true })).spot).toBe(false);
  });

  it('charges ephemeral storage above the free 20 GiB only', () => {
    const at50 = billed(runner(3600, { ephemeralStorageGiB: 50 }));
    const at20 = billed(runner(3600, { ephemeralStorageGiB: 20 }));
    expect(at50.extraStorageGiB).toBe(30);
    expect(at50.fargateUsd - at20.fargateUsd).toBeCloseTo(30 * 0.000111, 12);
    expect(at20.extraStorageGiB).toBe(0);
  });

  it('falls back to startedAt and finishedAt on records without billing times, and bills a live runner up to now', () => {
    expect(billed(runner(600, { billingStartedAt: undefined, billingEndedAt: undefined })).billedSeconds).toBe(605 - 20);
    const live = billed(runner(0, { status: 'busy', billingEndedAt: undefined, finishedAt: undefined }));
    expect(live.running).toBe(true);
    expect(live.billedSeconds).toBe((NOW.getTime() - Date.parse(at(0))) / 1000);
  });

  it('bills nothing for a runner that never had a task, and says so for a task without billing times', () => {
    expect(billRecord(runner(600, { taskArn: undefined }), DEFAULT_PRICES, NOW)).toEqual({ kind: 'no-task' });
    expect(billRecord(runner(600, { status: 'failed', billingStartedAt: undefined, startedAt: undefined }), DEFAULT_PRICES, NOW).kind).toBe('no-billing-facts');
  });
});

describe('the GitHub-hosted comparison', () => {
  it('prices the same minutes, rounded up per job, on a Linux 2-core at $0.006 for up to 2 vCPUs', () => {
    const run = billed(runner(61));
    expect(run.githubMinutes).toBe(2);
    expect(run.githubCores).toBe(2);
    expect(run.githubUsd).toBeCloseTo(0.012, 12);
  });

  it('compares with the smallest size with at least as many cores, per architecture', () => {
    expect(nearestGitHubSize(DEFAULT_PRICES.github.X86_64, 4)).toEqual({ cores: 4, perMinute: 0.012 });
    expect(nearestGitHubSize(DEFAULT_PRICES.github.X86_64, 6)).toEqual({ cores: 8, perMinute: 0.022 });
    expect(nearestGitHubSize(DEFAULT_PRICES.github.ARM64, 0.25)).toEqual({ cores: 2, perMinute: 0.005 });
    expect(nearestGitHubSize({ '2': 0.006 }, 16)).toEqual({ cores: 2, perMinute: 0.006 });
  });
});

describe('a prices file', () => {
  it('overrides only what it names', () => {
    const prices = mergePrices(DEFAULT_PRICES, { region: 'eu-west-1', fargate: { X86_64: { vcpuHour: 0.04456 } }, spotDiscount: 0.6, github: { X86_64: { '2': 0.008 } } }, 'p.json');
    expect(prices.region).toBe('eu-west-1');
    expect(prices.fargate.X86_64).toEqual({ vcpuHour: 0.04456, gbHour: 0.004445 });
    expect(prices.fargate.ARM64).toEqual(DEFAULT_PRICES.fargate.ARM64);
    expect(prices.spotDiscount).toBe(0.6);
    expect(prices.github.X86_64['2']).toBe(0.008);
    expect(DEFAULT_PRICES.github.X86_64['2']).toBe(0.006);
  });

  it('is refused with every problem named, and changes nothing', () => {
    let caught: unknown;
    try {
      mergePrices(DEFAULT_PRICES, { fargate: { X86: { vcpuHour: 1 }, ARM64: { vcpuHour: -1 } }, spotDiscount: 1.5, colour: 'red' }, 'p.json');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PricesFileError);
    const problems = (caught as PricesFileError).problems.join('\n');
    expect(problems).toMatch(/unknown key "colour"/);
    expect(problems).toMatch(/unknown architecture "X86"/);
    expect(problems).toMatch(/fargate\.ARM64\.vcpuHour must be a number/);
    expect(problems).toMatch(/spotDiscount must be a fraction/);
    expect(DEFAULT_PRICES.fargate.ARM64.vcpuHour).toBe(0.03238);
    expect(() => mergePrices(DEFAULT_PRICES, [1, 2], 'p.json')).toThrow(/JSON object/);
  });
});

describe('grouping', () => {
  it('sums per group, most expensive first, with a total', () => {
    const a = runner(600, { repo: 'octo-org/a' });
    const b = runner(1200, { repo: 'octo-org/b' });
    const c = runner(60, { repo: 'octo-org/a' });
    const { groups, total } = summarize([a, b, c].map((record) => ({ record, run: billed(record) })), 'repo');
    expect(groups.map((g) => [g.key, g.runners])).toEqual([['octo-org/b', 1], ['octo-org/a', 2]]);
    expect(groups[1]!.billedMinutes).toBe(11);
    expect(total.runners).toBe(3);
    expect(total.fargateUsd).toBeCloseTo(((0.04048 + 2 * 0.004445) * 1860) / 3600, 12);
  });

  it('groups by the UTC day billing started, in order', () => {
    const late = runner(600, { billingStartedAt: '2026-03-01T23:59:30.000Z', billingEndedAt: '2026-03-02T00:09:30.000Z' });
    const early = runner(600, { billingStartedAt: '2026-02-28T08:00:00.000Z', billingEndedAt: '2026-02-28T08:10:00.000Z' });
    const { groups } = summarize([late, early].map((record) => ({ record, run: billed(record) })), 'day');
    expect(groups.map((g) => g.key)).toEqual(['2026-02-28', '2026-03-01']);
  });
});
