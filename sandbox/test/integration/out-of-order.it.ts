import { afterEach, describe, expect, it } from '@jest/globals';
import { workflowJobPayload, type Sandbox } from '../../src/index.js';
import { nextJobId, startTestSandbox } from './harness.js';

/**
 * Issue 14, finding 4: GitHub does not keep the order of its deliveries, and a
 * job of ours may be run by another fleet's runner. A job that ended before its
 * queued was handled launches nothing, whoever ran it; the rest of the jobs are
 * each served once, however often their deliveries are repeated.
 */
describe('out-of-order and foreign workflow_job events', () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => {
    await sandbox?.stop();
    sandbox = undefined;
  });
  const repo = 'octo-org/octo-repo';
  const job = (id: number, extra: Partial<{ runnerName: string; conclusion: string }> = {}) => ({ id, runId: id - 1, labels: ['self-hosted'], ...extra });
  const send = (s: Sandbox, action: 'queued' | 'completed', id: number, extra: Partial<{ runnerName: string; conclusion: string }> = {}, deliveryId?: string) =>
    s.webhooks.send('workflow_job', workflowJobPayload(action, repo, job(id, extra)), deliveryId ? { deliveryId } : {});

  it('launches nothing for 30 jobs another fleet ran whose completed arrives just before their queued', async () => {
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0' });
    const s = sandbox;
    const ids = Array.from({ length: 30 }, () => nextJobId());
    // Each job's completed is answered before its queued is sent; the jobs race each other.
    const answers = await Promise.all(
      ids.map(async (id) => {
        const completed = await send(s, 'completed', id, { runnerName: `other-fleet-${id}`, conclusion: 'success' });
        const queued = await send(s, 'queued', id);
        return [completed.body.status, queued.body.status];
      }),
    );
    await s.settle();

    expect(answers.every(([completed]) => completed === 'accepted')).toBe(true);
    // The queued is a new delivery. Ingress makes one write, so its answer depends on who was first: when the
    // completed's dispatch already left the job's cancelled record it is a duplicate; otherwise it is accepted
    // and its dispatch, finding the job ended, cancels it. Either way nothing is launched.
    expect(answers.every(([, queued]) => queued === 'accepted' || queued === 'duplicate')).toBe(true);
    expect(s.awsCalls['ECS.RunTask'] ?? 0).toBe(0);
    expect(s.github.runners.size).toBe(0);
    for (const id of ids) expect((await s.store.get(`ecs-runner-${id}`))?.status).toBe('cancelled');
  });

  it("launches nothing for a job one of our other runners ran whose completed arrives before its queued", async () => {
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0' });
    const id = nextJobId();
    await send(sandbox, 'completed', id, { runnerName: `ecs-runner-${id + 1}`, conclusion: 'success' });
    const late = await send(sandbox, 'queued', id);
    await sandbox.settle();
    expect(['accepted', 'duplicate']).toContain(late.body.status);
    expect(sandbox.awsCalls['ECS.RunTask'] ?? 0).toBe(0);
    expect(await sandbox.store.get(`ecs-runner-${id}`)).toMatchObject({ status: 'cancelled', conclusion: 'success' });
  });

  it('cancels the waiting runner of a job another fleet finished, and records nothing live for a late queued redelivery', async () => {
    // One slot, held by a first job: the second job's runner waits, queued, when its completion arrives.
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0', MAX_RUNNERS: '1' });
    const first = nextJobId();
    const second = nextJobId();
    await send(sandbox, 'queued', first);
    await sandbox.settle();
    const queued = await send(sandbox, 'queued', second);
    await sandbox.settle();
    expect((await sandbox.store.get(`ecs-runner-${second}`))?.status).toBe('queued');

    await send(sandbox, 'completed', second, { runnerName: `other-fleet-${second}`, conclusion: 'success' });
    await sandbox.settle();
    const redelivered = await send(sandbox, 'queued', second, {}, queued.deliveryId);
    await sandbox.settle();

    expect(redelivered.body.status).toBe('duplicate');
    expect(await sandbox.store.get(`ecs-runner-${second}`)).toMatchObject({ status: 'cancelled', conclusion: 'success' });
    expect(sandbox.ecs.tasksStarted).toBe(1);
  });

  it('serves each job once and launches nothing for finished ones when deliveries are redelivered and reordered', async () => {
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0', MAX_RUNNERS: '50' });
    const s = sandbox;
    const served = Array.from({ length: 20 }, () => nextJobId());
    const foreign = Array.from({ length: 20 }, () => nextJobId());
    // Every delivery twice (GitHub's redelivery, same id); the foreign jobs' completed first or at once with their queued.
    const deliveries: Array<() => Promise<unknown>> = [];
    for (const id of served) {
      const deliveryId = guid(1, id);
      deliveries.push(() => send(s, 'queued', id, {}, deliveryId), () => send(s, 'queued', id, {}, deliveryId));
    }
    for (const [n, id] of foreign.entries()) {
      const completedId = guid(3, id);
      const queuedId = guid(1, id);
      const completed = () => send(s, 'completed', id, { runnerName: `other-fleet-${id}`, conclusion: 'success' }, completedId);
      const queued = () => send(s, 'queued', id, {}, queuedId);
      // Half the foreign jobs: completed answered before queued is sent. The other half: both at once.
      if (n % 2 === 0) deliveries.push(async () => (await completed(), await queued(), await completed(), await queued()));
      else deliveries.push(() => Promise.all([queued(), completed(), queued(), completed()]));
    }
    await Promise.all(shuffled(deliveries).map((deliver) => deliver()));
    await s.settle();

    // Zero duplicates, zero lost jobs: one live runner with one task for each job GitHub still has queued.
    const tasksByRunner = new Map<string, number>();
    for (const task of s.ecs.tasks.values()) tasksByRunner.set(task.startedBy ?? '', (tasksByRunner.get(task.startedBy ?? '') ?? 0) + 1);
    for (const id of served) {
      expect(tasksByRunner.get(`ecs-runner-${id}`)).toBe(1);
      expect((await s.store.get(`ecs-runner-${id}`))?.status).toBe('idle');
    }
    // A foreign job whose completion lost the race to its queued: at most one task, and a runner not launched
    // yet is cancelled (a task being started for it is stopped again); one already launched stays for other
    // jobs (DESIGN §4), as after a cancel before pickup.
    for (const id of foreign) {
      const runnerId = `ecs-runner-${id}`;
      const status = (await s.store.get(runnerId))?.status;
      expect(['cancelled', 'idle']).toContain(status);
      expect(tasksByRunner.get(runnerId) ?? 0).toBeLessThanOrEqual(1);
      expect(s.ecs.liveTasks().filter((task) => task.startedBy === runnerId).length).toBe(status === 'idle' ? 1 : 0);
      if (status === 'cancelled') expect(s.github.findRunnerByName(runnerId)).toBeUndefined();
    }
    // Foreign jobs whose completed was answered before their queued was sent started no task at all.
    for (const id of foreign.filter((_, n) => n % 2 === 0)) expect(tasksByRunner.get(`ecs-runner-${id}`)).toBeUndefined();
  });
});

/** A GUID-shaped delivery id, the same for the same kind and job (so a resend is GitHub's redelivery). */
function guid(kind: number, jobId: number): string {
  return `0000000${kind}-0000-4000-8000-${jobId.toString(16).padStart(12, '0')}`;
}

/** A fixed shuffle (the same order every run), so a failure can be replayed. */
function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  let seed = 14;
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
