import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunnerRecord } from '@runner-fleet/core';
import { workflowJobPayload, type Sandbox } from '../../src/index.js';
import { nextJobId, startTestSandbox, TIME_SCALE } from './harness.js';

const BIN = fileURLToPath(new URL('../../../cli/bin/run.js', import.meta.url));

function ecsrunner(sandbox: Sandbox, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { env: { PATH: process.env.PATH, HOME: process.env.HOME, AWS_EC2_METADATA_DISABLED: 'true', ...sandbox.cliEnv } as NodeJS.ProcessEnv, timeout: 20_000 * TIME_SCALE },
      (error, stdout, stderr) =>
        // oclif wraps messages at the terminal width behind " ›"; compare the sentence itself.
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr: stderr.replace(/\s*›\s*/g, ' ').replace(/\s+/g, ' ').trim() }),
    );
    child.stdin?.end();
  });
}

interface CostGroup {
  key: string;
  runners: number;
  billedMinutes: number;
  fargateUsd: number;
  githubMinutes: number;
  githubUsd: number;
}

describe('ecsrunner cost on the sandbox', () => {
  let sandbox: Sandbox & { problems: string[] };
  const repo = 'octo-org/costed';
  const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
  const finished = (id: string, fields: Partial<RunnerRecord>): RunnerRecord => ({
    runnerId: id,
    status: 'completed',
    repo,
    jobId: Number(id.replace(/\D/g, '')),
    runId: 1,
    runAttempt: 1,
    labels: ['self-hosted'],
    taskArn: `arn:aws:ecs:us-east-1:123456789012:task/fleet/${id}`,
    createdAt: minutesAgo(120),
    updatedAt: minutesAgo(1),
    version: 5,
    ...fields,
  });

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    // Four runners whose cost is worked out by hand below (us-east-1 defaults).
    const start = (m: number) => minutesAgo(m);
    const plusSeconds = (iso: string, s: number) => new Date(Date.parse(iso) + s * 1000).toISOString();
    const t = start(100);
    const records = [
      // medium on-demand x86, 600 s: (0.04048 + 2 × 0.004445) × 600/3600 = 0.008228333
      finished('ecs-runner-9001', { runnerClass: 'medium', cpu: 1024, memory: 2048, architecture: 'X86_64', capacityProvider: 'FARGATE', billingStartedAt: t, billingEndedAt: plusSeconds(t, 600) }),
      // large on Fargate Spot, 1800 s: (2 × 0.04048 + 4 × 0.004445) × 0.5 h × (1 − 0.7) = 0.014811
      finished('ecs-runner-9002', { runnerClass: 'large', cpu: 2048, memory: 4096, spot: true, architecture: 'X86_64', capacityProvider: 'FARGATE_SPOT', billingStartedAt: t, billingEndedAt: plusSeconds(t, 1800) }),
      // small, 12 s billed as 60 s, 40 GiB storage: (0.5 × 0.04048 + 0.004445)/60 + 20 × 0.000111/60 = 0.000448417
      finished('ecs-runner-9003', { runnerClass: 'small', cpu: 512, memory: 1024, architecture: 'X86_64', capacityProvider: 'FARGATE', ephemeralStorageGiB: 40, billingStartedAt: t, billingEndedAt: plusSeconds(t, 12) }),
      // medium on ARM, 3600 s: 0.03238 + 2 × 0.00356 = 0.0395
      finished('ecs-runner-9004', { runnerClass: 'medium', cpu: 1024, memory: 2048, architecture: 'ARM64', capacityProvider: 'FARGATE', billingStartedAt: t, billingEndedAt: plusSeconds(t, 3600) }),
      // No task: costs nothing. Created before the window: not read.
      finished('ecs-runner-9005', { status: 'failed', taskArn: undefined, cpu: 1024, memory: 2048 }),
      finished('ecs-runner-9006', { createdAt: new Date(Date.now() - 3 * 86_400_000).toISOString(), cpu: 1024, memory: 2048, billingStartedAt: t, billingEndedAt: plusSeconds(t, 600) }),
    ];
    for (const record of records) await sandbox.store.create(record);
  }, 60_000 * TIME_SCALE);
  afterAll(() => sandbox.stop());

  it('prices the records as worked out by hand, and GitHub-hosted for the same minutes', async () => {
    const run = await ecsrunner(sandbox, ['cost', '--since', '1d', '--by', 'repo', '--json']);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { groups: CostGroup[]; prices: { asOf: string; region: string }; requests: number };
    const costed = result.groups.find((g) => g.key === repo);
    // 0.008228333 + 0.014811 + 0.000448417 + 0.0395
    expect(costed).toMatchObject({ runners: 4, billedMinutes: 101, fargateUsd: 0.062988 });
    // 10 + 30 + 1 minutes on Linux 2-core x64 at $0.006, 60 on Linux 2-core arm64 at $0.005
    expect(costed?.githubMinutes).toBe(101);
    expect(costed?.githubUsd).toBeCloseTo(41 * 0.006 + 60 * 0.005, 6);
    expect(result.prices).toMatchObject({ asOf: '2026-12-04', region: 'us-east-1' });
    // One query per billable status, the window fitting in one page each.
    expect(result.requests).toBe(7);
  });

  it('records the billing facts of a real runner, so the report prices it', async () => {
    const id = nextJobId();
    await sandbox.webhooks.send('workflow_job', workflowJobPayload('queued', 'octo-org/octo-repo', { id, runId: id - 1, labels: ['self-hosted', 'class:small'] }));
    await sandbox.settle();
    const record = await sandbox.store.get(`ecs-runner-${id}`);
    expect(record).toMatchObject({ status: 'completed', architecture: 'X86_64', capacityProvider: 'FARGATE', ephemeralStorageGiB: 20 });
    expect(Date.parse(record!.billingStartedAt!)).toBeLessThanOrEqual(Date.parse(record!.startedAt!));
    expect(Date.parse(record!.billingEndedAt!)).toBeGreaterThanOrEqual(Date.parse(record!.billingStartedAt!));

    const run = await ecsrunner(sandbox, ['cost', '--since', '1h', '--by', 'class', '--json']);
    const small = (JSON.parse(run.stdout) as { groups: CostGroup[] }).groups.find((g) => g.key === 'small');
    // A job of a few simulated seconds is billed the one-minute minimum.
    expect(small).toMatchObject({ runners: 1, billedMinutes: 1, fargateUsd: Math.round(((0.5 * 0.04048 + 0.004445) / 60) * 1e6) / 1e6 });
  });

  it('prints a table with the price date for a person', async () => {
    const run = await ecsrunner(sandbox, ['cost', '--since', '1d']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('us-east-1 list prices of 2026-12-04');
    expect(run.stdout).toMatch(/octo-org\/costed\s+4\s+101\.0/);
  });

  it('refuses a malformed prices file and a bad window with exit 2, naming the fix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cost-'));
    const file = join(dir, 'prices.json');
    writeFileSync(file, JSON.stringify({ fargate: { X86_64: { vcpuHour: 'cheap' } } }));
    const bad = await ecsrunner(sandbox, ['cost', '--prices', file]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('fargate.X86_64.vcpuHour must be a number');
    const window = await ecsrunner(sandbox, ['cost', '--since', 'last week']);
    expect(window.code).toBe(2);
    expect(window.stderr).toContain('is not a duration');
  });

  it('uses the prices a file gives', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cost-'));
    const file = join(dir, 'prices.json');
    writeFileSync(file, JSON.stringify({ region: 'eu-west-1', asOf: '2026-11-30', fargate: { ARM64: { vcpuHour: 0.1, gbHour: 0 } } }));
    const run = await ecsrunner(sandbox, ['cost', '--since', '1d', '--prices', file, '--spot-discount', '0', '--json']);
    const result = JSON.parse(run.stdout) as { groups: CostGroup[]; prices: { region: string; source: string } };
    // ARM now 0.1 per vCPU-hour; Spot undiscounted: 0.008228333 + 0.04937 + 0.000448417 + 0.1
    expect(result.groups.find((g) => g.key === repo)?.fargateUsd).toBeCloseTo(0.008228333 + 0.04937 + 0.000448417 + 0.1, 6);
    expect(result.prices.region).toBe('eu-west-1');
  });
});
