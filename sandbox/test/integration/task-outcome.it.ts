import { afterEach, describe, expect, it } from '@jest/globals';
import type { Sandbox } from '../../src/index.js';
import { recordHistories, startTestSandbox } from './harness.js';

/** Issue 11 D: exit 0 does not mean "completed after a job". */
describe('a runner that exits 0 before taking its job', () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => {
    await sandbox?.stop();
    sandbox = undefined;
  });

  it('is recorded failed with the reason, its registration is removed, and a replacement runs the job', async () => {
    sandbox = await startTestSandbox();
    const histories = recordHistories(sandbox);
    sandbox.autopilot.exitBeforeJob(1, 0);

    const job = await sandbox.autopilot.queueJob(['self-hosted']);
    await sandbox.settle();

    const runnerId = `ecs-runner-${job.id}`;
    const first = await sandbox.store.get(runnerId);
    expect(first).toMatchObject({
      status: 'failed',
      statusReason: 'stopped before taking a job (exit 0, ECS: EssentialContainerExited: Essential container in task exited: runner exited before taking a job)',
    });
    expect(first?.assignedJobId).toBeUndefined();
    expect(histories.get(runnerId)?.at(-1)).toBe('failed');

    const replacementId = `${runnerId}r1`;
    expect(await sandbox.store.get(replacementId)).toMatchObject({ status: 'completed', assignedJobId: job.id, conclusion: 'success' });
    expect(sandbox.github.jobs.get(job.id)).toMatchObject({ status: 'completed', runnerName: replacementId });
    // Neither the failed runner nor the ephemeral replacement is left registered on GitHub.
    expect([...sandbox.github.runners.values()].map((r) => r.name)).toEqual([]);
    expect(sandbox.ecs.tasksStarted).toBe(2);
    expect(sandbox.deadLetters()).toEqual([]);
  });
});
