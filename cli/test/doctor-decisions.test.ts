import { describe, expect, it } from '@jest/globals';
import type { RunnerRecord } from '@runner-fleet/core';
import { explainWaiting } from '../src/doctor/fleet-checks.js';
import { compareVersions, judgeRunnerVersion } from '../src/doctor/runner-version.js';

const NOW = new Date('2026-06-01T12:00:00Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000).toISOString();

describe('the runner-version check', () => {
  it('compares versions by number, not as text', () => {
    expect(compareVersions('2.335.10', '2.335.9')).toBe(1);
    expect(compareVersions('v2.335.1', '2.335.1')).toBe(0);
    expect(compareVersions('2.99.0', '2.100.0')).toBe(-1);
  });

  const release = (version: string, days: number, extra: object = {}) => ({ tag_name: `v${version}`, published_at: daysAgo(days), ...extra });

  it('passes when no release is newer than the pin (drafts and pre-releases do not count)', () => {
    expect(judgeRunnerVersion('2.335.1', [release('2.335.1', 90), release('2.334.0', 120)], NOW).status).toBe('PASS');
    expect(judgeRunnerVersion('2.335.1', [release('2.336.0', 90, { prerelease: true }), release('2.337.0', 90, { draft: true })], NOW).status).toBe('PASS');
  });

  it('warns while the first newer release is within GitHub\'s 30-day window, with the days left', () => {
    const result = judgeRunnerVersion('2.335.1', [release('2.336.0', 12), release('2.335.1', 60)], NOW);
    expect(result).toMatchObject({ status: 'WARN', details: { pinned: '2.335.1', latest: '2.336.0', ageDays: 12 } });
    expect(result.message).toContain('within 18 days');
    expect(judgeRunnerVersion('2.335.1', [release('2.336.0', 30)], NOW).status).toBe('WARN');
  });

  it('counts the window from the first newer release, not the newest one', () => {
    const result = judgeRunnerVersion('2.335.1', [release('2.337.0', 3), release('2.336.0', 31)], NOW);
    expect(result).toMatchObject({ status: 'FAIL', details: { latest: '2.337.0', firstNewer: '2.336.0', ageDays: 31 } });
    expect(result.message).toContain('2 newer releases exist (2.337.0 the latest), the first published 31 days ago');
  });

  it('fails past the window and names the version to set', () => {
    const result = judgeRunnerVersion('2.335.1', [release('2.336.0', 31)], NOW);
    expect(result.status).toBe('FAIL');
    expect(result.message).toContain('runner_version = "2.336.0"');
  });
});

describe('why a job still waits', () => {
  const record = (fields: Partial<RunnerRecord>): RunnerRecord => ({ runnerId: 'ecs-runner-1', status: 'queued', repo: 'o/r', jobId: 1, runId: 1, runAttempt: 1, labels: ['self-hosted'], createdAt: daysAgo(1), updatedAt: daysAgo(1), version: 1, ...fields });

  it('an image build in progress', () => {
    expect(explainWaiting(record({ status: 'image_building', baseImage: 'ubuntu:24.04' }), NOW)).toEqual({ status: 'WARN', why: expect.stringContaining('image build of ubuntu:24.04') });
  });

  it('a capacity backoff, with its attempts and next try', () => {
    const later = new Date(NOW.getTime() + 60_000).toISOString();
    const { status, why } = explainWaiting(record({ retryAt: later, launchAttempts: 2, statusReason: 'RESOURCE:FARGATE' }), NOW);
    expect(status).toBe('WARN');
    expect(why).toContain('backing off after 2 launch attempts');
    expect(why).toContain(`at ${later}`);
  });

  it('a runner slot (over MAX_RUNNERS: retryAt without launch attempts)', () => {
    expect(explainWaiting(record({ retryAt: daysAgo(1) }), NOW)).toEqual({ status: 'WARN', why: expect.stringContaining('waiting for a runner slot') });
  });

  it('nothing at all: a lost or failing dispatch is a FAIL', () => {
    expect(explainWaiting(record({ redispatches: 2 }), NOW)).toEqual({ status: 'FAIL', why: expect.stringContaining('re-dispatched it 2 of 3 times') });
  });
});
