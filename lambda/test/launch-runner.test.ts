import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RunnerStore } from '@runner-fleet/core';
import { DISPATCH_LEASE_MS, launchRunner, runTaskToken } from '../src/domain/launch-runner.js';
import { LAUNCH_BACKOFF_BASE_MS, MAX_LAUNCH_ATTEMPTS } from '../src/domain/capacity.js';
import { CapacityError, GitHubRateLimitedError, LaunchRefusedError, RetryableError, ThrottledError } from '../src/domain/ports.js';
import { THROTTLE_RETRY_MAX_MS, THROTTLE_RETRY_MIN_MS } from '../src/domain/rate-limit-wait.js';
import { makeDeps, queuedJob, startTable } from './support/fixtures.js';

describe('launchRunner (queued → starting)', () => {
  let table: Awaited<ReturnType<typeof startTable>>;
  let store: RunnerStore;
  beforeAll(async () => {
    table = await startTable();
    store = table.store;
  });
  afterAll(() => table.stop());

  it('registers one JIT runner, starts one task sized by the class, and records both', async () => {
    const deps = makeDeps(store, table.clock);
    const { detail } = await queuedJob(store, table.clock);
    const runnerId = detail.runner!.runnerId;

    await launchRunner(detail, detail.runner!, deps);

    expect(deps.github.calls).toEqual([`generateJitConfig ${runnerId}`]);
    expect(deps.jitSecrets.calls).toEqual([`store ${runnerId}`]);
    expect(deps.tasks.calls).toEqual([`run ${runnerId}`]);
    const { spec, taskArn } = deps.tasks.started.get(runnerId)!;
    const [parameter] = deps.jitSecrets.of(runnerId);
    expect(spec).toEqual({
      runnerId,
      taskDefinition: 'fleet-runner',
      containerName: 'runner',
      cpu: 512,
      memory: 1024,
      spot: false,
      clientToken: runTaskToken(runnerId, 'jit-for-100', false),
      jitConfigParameter: parameter,
      tags: { runnerId, repo: 'octo-org/octo-repo', jobId: String(detail.job.id), runId: String(detail.job.runId) },
    });
    expect(deps.jitSecrets.stored.get(parameter!)?.value).toBe('jit-for-100');
    expect(JSON.stringify(spec)).not.toContain('jit-for-100');
    expect(await store.get(runnerId)).toMatchObject({ status: 'starting', taskArn, githubRunnerId: 100, version: 2 });
  });

  it('adopts the task an earlier attempt started instead of starting another', async () => {
    const deps = makeDeps(store, table.clock);
    const { detail } = await queuedJob(store, table.clock);
    const runnerId = detail.runner!.runnerId;
    // The earlier attempt registered the runner and started the task, then died before recording it.
    await deps.github.generateJitConfig({ name: runnerId });
    const taskArn = await deps.tasks.run({ ...detail.runner!, taskDefinition: 'fleet-runner', containerName: 'runner', clientToken: detail.runner!.runnerId, jitConfigParameter: '/fleet/jit/x', tags: {} });

    await launchRunner(detail, detail.runner!, deps);

    expect(deps.tasks.started.size).toBe(1);
    expect(deps.tasks.calls).toEqual([`run ${runnerId}`, `findLive ${runnerId}`]);
    expect(await store.get(runnerId)).toMatchObject({ status: 'starting', taskArn, githubRunnerId: deps.github.registered.get(runnerId)!.id });
  });

  it('leaves a fresh registration with no task to the dispatch that may still be running it', async () => {
    const deps = makeDeps(store, table.clock);
    const { detail } = await queuedJob(store, table.clock);
    await deps.github.generateJitConfig({ name: detail.runner!.runnerId });

    await expect(launchRunner(detail, detail.runner!, deps)).rejects.toBeInstanceOf(RetryableError);
    expect(deps.tasks.started.size).toBe(0);
    expect(deps.github.calls).not.toContain(expect.stringMatching(/^deleteRunner/));
  });

  it('replaces a stale registration from an attempt that died before RunTask', async () => {
    const deps = makeDeps(store, table.clock);
    const { detail } = await queuedJob(store, table.clock);
    const runnerId = detail.runner!.runnerId;
    await deps.github.generateJitConfig({ name: runnerId });
    const staleId = deps.github.registered.get(runnerId)!.id;
    const later = { now: new Date(table.clock.now.getTime() + DISPATCH_LEASE_MS + 1000) };

    // It had stored its config too, under a name only that config gives.
    await deps.jitSecrets.store(runnerId, `jit-for-${staleId}`);
    const staleParameter = deps.jitSecrets.of(runnerId)[0]!;

    await launchRunner(detail, detail.runner!, { ...deps, now: () => later.now });

    expect(deps.github.calls).toContain(`deleteRunner ${staleId}`);
    expect(deps.jitSecrets.of(runnerId)).toEqual([deps.tasks.started.get(runnerId)!.spec.jitConfigParameter]);
    expect(deps.jitSecrets.of(runnerId)).not.toContain(staleParameter);
    const fresh = deps.github.registered.get(runnerId)!.id;
    expect(fresh).not.toBe(staleId);
    expect(await store.get(runnerId)).toMatchObject({ status: 'starting', githubRunnerId: fresh });
    // A new attempt with a new JIT config: a new RunTask clientToken (ECS refuses a reused token with other parameters).
    const { spec } = deps.tasks.started.get(runnerId)!;
    expect(spec.clientToken).toBe(runTaskToken(runnerId, `jit-for-${fresh}`, false));
    expect(spec.clientToken).not.toBe(runTaskToken(runnerId, `jit-for-${staleId}`, false));
    expect(spec.clientToken).not.toBe(runnerId);
  });

  describe('the dispatch lease, counted from the claim', () => {
    /** A dispatch that claimed the slot and registered the runner at `clock`, then died before RunTask. */
    const diedAfterRegistering = async (deps: ReturnType<typeof makeDeps>, clock: { now: Date }) => {
      const { record, detail } = await queuedJob(store, clock);
      const runnerId = record.runnerId;
      expect(await store.capacity.claim(runnerId, 10)).toBe(true);
      await deps.github.generateJitConfig({ name: runnerId });
      return { record, detail, runnerId, staleId: deps.github.registered.get(runnerId)!.id };
    };

    it('dispatches the runner once the lease has passed since the claim, however recently its record was written', async () => {
      const clock = table.clock;
      const deps = makeDeps(store, clock);
      const claimedAt = new Date(clock.now);
      const { record, detail, runnerId, staleId } = await diedAfterRegistering(deps, clock);
      // Writes after the claim (a refill's, housekeeping's) are not the claim: they do not extend the lease.
      const stored = await withClock(clock, claimedAt.getTime() + DISPATCH_LEASE_MS - 5_000, () => store.patch(record, { statusReason: 'a runner slot is free; dispatching' }));

      await withClock(clock, claimedAt.getTime() + DISPATCH_LEASE_MS + 1_000, () => launchRunner(detail, { ...detail.runner!, version: stored.version }, deps));

      expect(deps.github.calls).toContain(`deleteRunner ${staleId}`);
      expect(await store.get(runnerId)).toMatchObject({ status: 'starting', githubRunnerId: deps.github.registered.get(runnerId)!.id });
      expect(deps.tasks.started.has(runnerId)).toBe(true);
    });

    it('keeps the claim while it waits out the lease, so waiting does not restart the lease', async () => {
      const clock = table.clock;
      const deps = makeDeps(store, clock);
      const claimedAt = clock.now.getTime();
      const { detail, runnerId } = await diedAfterRegistering(deps, clock);

      await withClock(clock, claimedAt + 30_000, () => expect(launchRunner(detail, detail.runner!, deps)).rejects.toBeInstanceOf(RetryableError));
      expect((await store.capacity.holders()).get(runnerId)).toBe(claimedAt);
      expect(deps.tasks.started.size).toBe(0);

      await withClock(clock, claimedAt + DISPATCH_LEASE_MS + 1_000, () => launchRunner(detail, detail.runner!, deps));
      expect((await store.get(runnerId))?.status).toBe('starting');
    });

    it('lets one of two dispatches that find the same stale registration replace it; the other retries', async () => {
      const clock = table.clock;
      const deps = makeDeps(store, clock);
      const claimedAt = clock.now.getTime();
      const { detail, runnerId, staleId } = await diedAfterRegistering(deps, clock);

      const outcomes = await withClock(clock, claimedAt + DISPATCH_LEASE_MS + 1_000, () =>
        Promise.allSettled([launchRunner(detail, detail.runner!, deps), launchRunner(detail, detail.runner!, deps)]),
      );

      expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect((outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(RetryableError);
      expect(deps.github.calls.filter((c) => c === `deleteRunner ${staleId}`)).toHaveLength(1);
      expect(deps.tasks.calls.filter((c) => c === `run ${runnerId}`)).toHaveLength(1);
      // The winner's claim is a new one: its own lease starts now.
      expect((await store.capacity.holders()).get(runnerId)).toBe(claimedAt + DISPATCH_LEASE_MS + 1_000);
    });
  });

  it('waits with a backoff when ECS starts no task: counts the attempt, unregisters the runner and frees its slot', async () => {
    const deps = makeDeps(store, table.clock);
    const { detail } = await queuedJob(store, table.clock);
    const runnerId = detail.runner!.runnerId;
    deps.tasks.nextRunError = new CapacityError('RunTask started no task: Capacity is unavailable at this time');

    await launchRunner(detail, detail.runner!, deps);

    const record = await store.get(runnerId);
    expect(record).toMatchObject({ status: 'queued', launchAttempts: 1, retryAt: new Date(table.clock.now.getTime() + LAUNCH_BACKOFF_BASE_MS).toISOString() });
    expect(record?.statusReason).toBe(`RunTask started no task: Capacity is unavailable at this time (attempt 1 of ${MAX_LAUNCH_ATTEMPTS}; next try in 30 s)`);
    // The next attempt registers afresh instead of waiting out the lease of a registration with no task.
    expect(deps.github.registered.has(runnerId)).toBe(false);
    expect((await store.capacity.holders()).has(runnerId)).toBe(false);
    expect(deps.metrics.totals.get('LaunchFailures/capacity')).toBe(1);
    // No task will read the stored config: it is deleted with the registration.
    expect(deps.jitSecrets.of(runnerId)).toEqual([]);
  });

  it('tries again in 2 to 5 s when SSM throttles storing the JIT config: no task, no registration, the slot freed, no attempt counted', async () => {
    const deps = makeDeps(store, table.clock);
    const { detail } = await queuedJob(store, table.clock);
    const runnerId = detail.runner!.runnerId;
    deps.jitSecrets.nextStoreError = new ThrottledError('SSM throttled PutParameter: Rate exceeded');

    await launchRunner(detail, detail.runner!, deps);

    expect(deps.tasks.calls).toEqual([]);
    const record = await store.get(runnerId);
    expect(record).toMatchObject({ status: 'queued' });
    expect(record?.launchAttempts).toBeUndefined();
    expect(record?.statusReason).toMatch(/^SSM throttled PutParameter: Rate exceeded; tried again in [2-5] s/);
    const delay = Date.parse(record!.retryAt!) - table.clock.now.getTime();
    expect(delay).toBeGreaterThanOrEqual(THROTTLE_RETRY_MIN_MS);
    expect(delay).toBeLessThanOrEqual(THROTTLE_RETRY_MAX_MS);
    expect(deps.github.registered.has(runnerId)).toBe(false);
    expect((await store.capacity.holders()).has(runnerId)).toBe(false);
    expect(deps.metrics.totals.get('RunTaskThrottled')).toBe(1);
    expect(deps.metrics.totals.get('LaunchFailures/throttled')).toBeUndefined();
  });

  it('never fails a runner for throttling: five throttled RunTasks in a row leave it queued with no launch attempt', async () => {
    const deps = makeDeps(store, table.clock);
    const { detail } = await queuedJob(store, table.clock);
    const runnerId = detail.runner!.runnerId;
    for (let attempt = 1; attempt <= MAX_LAUNCH_ATTEMPTS; attempt++) {
      const current = (await store.get(runnerId))!;
      deps.tasks.nextRunError = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      await launchRunner(detail, { ...detail.runner!, version: current.version }, deps);
    }
    const record = await store.get(runnerId);
    expect(record).toMatchObject({ status: 'queued', statusReason: expect.stringMatching(/^ECS throttled RunTask: Rate exceeded; tried again in/) });
    expect(record?.launchAttempts).toBeUndefined();
    expect(deps.metrics.totals.get('RunTaskThrottled')).toBe(MAX_LAUNCH_ATTEMPTS);
    expect(deps.metrics.totals.get('LaunchFailures')).toBeUndefined();
    expect(deps.github.registered.has(runnerId)).toBe(false);
  });

  it('keeps the job queued until the budget returns when GitHub refuses the JIT registration for its rate limit', async () => {
    const deps = makeDeps(store, table.clock);
    const { detail } = await queuedJob(store, table.clock);
    const runnerId = detail.runner!.runnerId;
    const reset = new Date(table.clock.now.getTime() + 30 * 60_000);
    deps.github.failNextGenerate = new GitHubRateLimitedError('GitHub primary rate limit reached (HTTP 403)', reset, 'primary');

    await launchRunner(detail, detail.runner!, deps);

    const record = await store.get(runnerId);
    expect(record).toMatchObject({ status: 'queued', retryAt: reset.toISOString() });
    expect(record?.launchAttempts).toBeUndefined();
    expect(record?.statusReason).toMatch(/GitHub's primary API rate limit/);
    expect(deps.tasks.calls).toEqual([]);
    expect((await store.capacity.holders()).has(runnerId)).toBe(false);
    expect(deps.metrics.totals.get('GitHubRateLimited/primary')).toBe(1);
  });

  it('spends no GitHub call while the shared budget says GitHub refuses requests; the slot is not held', async () => {
    const deps = makeDeps(store, table.clock);
    const { detail } = await queuedJob(store, table.clock);
    const runnerId = detail.runner!.runnerId;
    const now = table.clock.now.getTime();
    deps.githubBudget.state = { remaining: 0, limit: 5000, resetAt: now + 600_000, observedAt: now - 1_000, blockedUntil: now + 601_000 };

    await launchRunner(detail, detail.runner!, deps);

    expect(deps.github.calls).toEqual([]);
    expect(await store.get(runnerId)).toMatchObject({ status: 'queued', retryAt: new Date(now + 601_000).toISOString() });
    expect((await store.capacity.holders()).has(runnerId)).toBe(false);
  });

  it('launches as usual while the budget has requests left, however few', async () => {
    const deps = makeDeps(store, table.clock);
    const { detail } = await queuedJob(store, table.clock);
    const now = table.clock.now.getTime();
    deps.githubBudget.state = { remaining: 3, limit: 5000, resetAt: now + 600_000, observedAt: now };

    await launchRunner(detail, detail.runner!, deps);

    expect(await store.get(detail.runner!.runnerId)).toMatchObject({ status: 'starting' });
  });

  it('starts no task and unregisters the runner when its JIT config cannot be stored; the event is retried', async () => {
    const deps = makeDeps(store, table.clock);
    const { detail } = await queuedJob(store, table.clock);
    const runnerId = detail.runner!.runnerId;
    deps.jitSecrets.nextStoreError = Object.assign(new Error('not authorized to perform ssm:PutParameter'), { name: 'AccessDeniedException' });

    await expect(launchRunner(detail, detail.runner!, deps)).rejects.toThrow(/ssm:PutParameter/);

    expect(deps.tasks.calls).toEqual([]);
    expect(deps.github.registered.has(runnerId)).toBe(false);
    expect((await store.capacity.holders()).has(runnerId)).toBe(false);
    expect(await store.get(runnerId)).toMatchObject({ status: 'queued', version: 1 });
  });

  it(`fails the runner with the reason after ${MAX_LAUNCH_ATTEMPTS} attempts that started nothing`, async () => {
    const deps = makeDeps(store, table.clock);
    const { detail } = await queuedJob(store, table.clock);
    const runnerId = detail.runner!.runnerId;
    for (let attempt = 1; attempt <= MAX_LAUNCH_ATTEMPTS; attempt++) {
      const current = (await store.get(runnerId))!;
      deps.tasks.nextRunError = new CapacityError('RunTask started no task: Capacity is unavailable at this time');
      await launchRunner(detail, { ...detail.runner!, version: current.version }, deps);
    }
    expect(await store.get(runnerId)).toMatchObject({
      status: 'failed',
      launchAttempts: MAX_LAUNCH_ATTEMPTS,
      statusReason: `no task started after ${MAX_LAUNCH_ATTEMPTS} attempts: RunTask started no task: Capacity is unavailable at this time`,
    });
    expect(deps.tasks.started.has(runnerId)).toBe(false);
    expect(deps.github.registered.has(runnerId)).toBe(false);
  });

  it('keeps the registration when RunTask fails ambiguously (a task may exist)', async () => {
    const deps = makeDeps(store, table.clock);
    const { detail } = await queuedJob(store, table.clock);
    deps.tasks.nextRunError = Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    await expect(launchRunner(detail, detail.runner!, deps)).rejects.toThrow(/socket hang up/);
    expect(deps.github.registered.has(detail.runner!.runnerId)).toBe(true);
    // And the stored config, which that task would read.
    expect(deps.jitSecrets.of(detail.runner!.runnerId)).toHaveLength(1);
    // So does the slot: the retry (or the lease audit) finds out whether a task exists.
    expect((await store.capacity.holders()).has(detail.runner!.runnerId)).toBe(true);
  });

  it('records failed and unregisters the runner when ECS refuses the launch for good', async () => {
    const deps = makeDeps(store, table.clock);
    const { detail } = await queuedJob(store, table.clock);
    const runnerId = detail.runner!.runnerId;
    deps.tasks.nextRunError = new LaunchRefusedError('ClientException: Unable to describe task definition.');

    await launchRunner(detail, detail.runner!, deps);

    expect(await store.get(runnerId)).toMatchObject({ status: 'failed', statusReason: 'ECS refused to start the task: ClientException: Unable to describe task definition.' });
    expect(deps.github.registered.has(runnerId)).toBe(false);
    expect(deps.jitSecrets.of(runnerId)).toEqual([]);
  });

  it('stops the new task and unregisters the runner when the job was cancelled meanwhile', async () => {
    const deps = makeDeps(store, table.clock);
    const { record, detail } = await queuedJob(store, table.clock);
    await store.transition(record, 'cancelled', { statusReason: 'job cancelled' });

    await launchRunner(detail, detail.runner!, deps);

    const task = deps.tasks.started.get(record.runnerId)!;
    expect(task.stopped).toBe(`runner ${record.runnerId} is already cancelled`);
    expect(deps.github.registered.has(record.runnerId)).toBe(false);
    expect((await store.get(record.runnerId))?.status).toBe('cancelled');
  });

  it('leaves the task running when the job was cancelled meanwhile but the runner already took another job', async () => {
    const deps = makeDeps(store, table.clock);
    const { record, detail } = await queuedJob(store, table.clock);
    await store.transition(record, 'cancelled', { statusReason: 'job cancelled' });
    // The task starts and GitHub hands the runner another queued job before the record update fails.
    const run = deps.tasks.run.bind(deps.tasks);
    deps.tasks.run = async (spec) => {
      const taskArn = await run(spec);
      deps.github.registered.get(spec.runnerId)!.busy = true;
      return taskArn;
    };

    await launchRunner(detail, detail.runner!, deps);

    expect(deps.tasks.started.get(record.runnerId)!.stopped).toBeUndefined();
    expect(deps.github.registered.has(record.runnerId)).toBe(true);
  });

  it('attaches the task to a runner that a job already reached (in_progress before the update)', async () => {
    const deps = makeDeps(store, table.clock);
    const { record, detail } = await queuedJob(store, table.clock);
    await store.transition(record, 'busy', { assignedJobId: detail.job.id });

    await launchRunner(detail, detail.runner!, deps);

    expect(await store.get(record.runnerId)).toMatchObject({ status: 'busy', taskArn: deps.tasks.started.get(record.runnerId)!.taskArn, githubRunnerId: expect.any(Number) });
  });
});

/** Runs `act` with the injected clock (the store's and the deps') set to `atMs`, then sets it back. */
async function withClock<T>(clock: { now: Date }, atMs: number, act: () => Promise<T>): Promise<T> {
  const before = clock.now;
  clock.now = new Date(atMs);
  try {
    return await act();
  } finally {
    clock.now = before;
  }
}
