import { afterEach, describe, expect, it } from '@jest/globals';
import { workflowJobPayload, type Sandbox } from '../../src/index.js';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { MISSING_TASK_GRACE_MS } from '../../../lambda/src/domain/housekeeping.js';
import { backdate, nextJobId, recordHistories, startTestSandbox, tableClient } from './harness.js';

/** The one-minute housekeeping: lost dispatches, idle and stuck runners, lost task events. */
describe('housekeeping', () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => {
    await sandbox?.stop();
    sandbox = undefined;
  });
  const repo = 'octo-org/octo-repo';
  const queue = async (s: Sandbox, { settle = true } = {}) => {
    const id = nextJobId();
    await s.webhooks.send('workflow_job', workflowJobPayload('queued', repo, { id, runId: id, labels: ['self-hosted'] }));
    // A task that never starts keeps its start pending: then wait only for the events.
    await (settle ? s.settle() : s.dispatchIdle());
    return `ecs-runner-${id}`;
  };

  it('dispatches again a queued job whose dispatch event was lost', async () => {
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0' });
    const id = nextJobId();
    const at = new Date(Date.now() - 11 * 60_000).toISOString();
    // Ingress recorded the job; its event never reached dispatch.
    await sandbox.store.create({ runnerId: `ecs-runner-${id}`, status: 'queued', repo, jobId: id, runId: id, runAttempt: 1, labels: ['self-hosted'], runnerClass: 'small', cpu: 512, memory: 1024, spot: false, createdAt: at, updatedAt: at, version: 1 });
    await sandbox.runHousekeeping();
    await sandbox.settle();
    expect((await sandbox.store.get(`ecs-runner-${id}`))?.status).toBe('idle');
    expect(sandbox.ecs.tasksStarted).toBe(1);
  });

  /** A JIT config left in SSM for `runnerId`, as a dispatch that died after storing it would leave it. */
  const leaveJitConfig = (s: Sandbox, runnerId: string) =>
    new SSMClient({ endpoint: s.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }).send(
      new PutParameterCommand({ Name: `/ecs-runner/jit/${runnerId}/0123456789abcdef0123456789abcdef`, Type: 'SecureString', Value: 'left-behind', Tier: 'Intelligent-Tiering' }),
    );

  it('fails a queued job whose dispatch was lost four times, and deletes the JIT config a dying dispatch left', async () => {
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0' });
    const id = nextJobId();
    const runnerId = `ecs-runner-${id}`;
    const at = new Date(Date.now() - 11 * 60_000).toISOString();
    await sandbox.store.create({ runnerId, status: 'queued', repo, jobId: id, runId: id, runAttempt: 1, labels: ['self-hosted'], runnerClass: 'small', cpu: 512, memory: 1024, spot: false, createdAt: at, updatedAt: at, version: 1, redispatches: 3 });
    await leaveJitConfig(sandbox, runnerId);

    await sandbox.runHousekeeping();
    await sandbox.settle();

    expect((await sandbox.store.get(runnerId))?.status).toBe('failed');
    expect(sandbox.ssm.under(`/ecs-runner/jit/${runnerId}/`)).toEqual([]);
    expect(sandbox.ecs.tasksStarted).toBe(0);
  });

  it('removes an idle runner from GitHub first, then stops it, past the idle timeout', async () => {
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0', IDLE_TIMEOUT_SECONDS: '60' });
    const histories = recordHistories(sandbox);
    const runnerId = await queue(sandbox);
    await sandbox.runHousekeeping();
    expect((await sandbox.store.get(runnerId))?.status).toBe('idle');

    await backdate(sandbox, runnerId, ['startedAt', 'updatedAt'], 2);
    await sandbox.runHousekeeping();
    await sandbox.settle();
    expect(histories.get(runnerId)).toEqual(['queued', 'starting', 'idle', 'cancelled']);
    expect((await sandbox.store.get(runnerId))?.statusReason).toBe('idle for more than 60 s with no job; removed from GitHub and stopped');
    expect(sandbox.github.findRunnerByName(runnerId)).toBeUndefined();
    expect(sandbox.ecs.liveTasks()).toEqual([]);
  });

  it('leaves an idle runner running when a job lands on it as it is reaped', async () => {
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0', IDLE_TIMEOUT_SECONDS: '60' });
    const runnerId = await queue(sandbox);
    await backdate(sandbox, runnerId, ['startedAt', 'updatedAt'], 2);
    sandbox.github.findRunnerByName(runnerId)!.busy = true; // GitHub just gave it a job
    await sandbox.runHousekeeping();
    await sandbox.settle();
    expect((await sandbox.store.get(runnerId))?.status).toBe('idle');
    expect(sandbox.ecs.liveTasks()).toHaveLength(1);
    expect(sandbox.github.findRunnerByName(runnerId)).toBeDefined();
  });

  it('stops and fails a busy runner past MAX_JOB_SECONDS', async () => {
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0', MAX_JOB_SECONDS: '3600' });
    const runnerId = await queue(sandbox);
    const record = (await sandbox.store.get(runnerId))!;
    await sandbox.webhooks.send('workflow_job', workflowJobPayload('in_progress', repo, { id: record.jobId, runId: record.runId, labels: ['self-hosted'], runnerName: runnerId }));
    await sandbox.settle();
    await sandbox.runHousekeeping();
    expect((await sandbox.store.get(runnerId))?.status).toBe('busy');

    await backdate(sandbox, runnerId, ['startedAt'], 61);
    await sandbox.runHousekeeping();
    await sandbox.settle();
    expect(await sandbox.store.get(runnerId)).toMatchObject({ status: 'failed', statusReason: `job ${record.jobId} ran longer than MAX_JOB_SECONDS (3600 s); task stopped` });
    expect(sandbox.ecs.liveTasks()).toEqual([]);
    expect(sandbox.metrics.total('JobsOverMaxDuration')).toBe(1);
  });

  it('stops and fails a runner whose task never reaches RUNNING', async () => {
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0', SANDBOX_TASK_START_MS: '600000' });
    const runnerId = await queue(sandbox, { settle: false });
    expect((await sandbox.store.get(runnerId))?.status).toBe('starting');
    await backdate(sandbox, runnerId, ['updatedAt'], 11);
    await sandbox.runHousekeeping();
    await sandbox.dispatchIdle();
    expect(await sandbox.store.get(runnerId)).toMatchObject({ status: 'failed', statusReason: 'task did not reach RUNNING within 10 minutes' });
    expect(sandbox.ecs.liveTasks()).toEqual([]);
    expect(sandbox.github.findRunnerByName(runnerId)).toBeUndefined();
  });

  it('records a task that stopped while its event was lost, and one ECS no longer knows', async () => {
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0' });
    const crashed = await queue(sandbox);
    const vanished = await queue(sandbox);
    sandbox.ecs.faults.dropEvents = true;
    const crashedTask = [...sandbox.ecs.tasks.values()].find((t) => t.startedBy === crashed)!;
    sandbox.ecs.exitTask(crashedTask.taskArn, 137, 'OutOfMemoryError: Container killed due to memory usage');
    const vanishedTask = [...sandbox.ecs.tasks.values()].find((t) => t.startedBy === vanished)!;
    sandbox.ecs.tasks.delete(vanishedTask.taskArn);
    await sandbox.settle();
    expect((await sandbox.store.get(crashed))?.status).toBe('idle');
    // Past the grace in which DescribeTasks may not yet see a new task.
    await backdate(sandbox, vanished, ['updatedAt'], MISSING_TASK_GRACE_MS / 60_000 + 1);

    await sandbox.runHousekeeping();
    expect(await sandbox.store.get(crashed)).toMatchObject({
      status: 'failed',
      statusReason: 'stopped before taking a job (exit 137, ECS: EssentialContainerExited: Essential container in task exited: OutOfMemoryError: Container killed due to memory usage)',
    });
    expect(await sandbox.store.get(vanished)).toMatchObject({ status: 'failed', statusReason: 'stopped before taking a job (exit none, ECS: no stop code: the task is gone (ECS no longer knows it))' });
    // Neither runner ever took a job: both are removed from GitHub, so no offline ghost stays.
    expect(sandbox.github.findRunnerByName(crashed)).toBeUndefined();
    expect(sandbox.github.findRunnerByName(vanished)).toBeUndefined();
  });

  it('does not take a task DescribeTasks reports MISSING for a grace period after launch as gone (eventual consistency)', async () => {
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0' });
    // ECS does not yet see tasks started in the next minutes.
    sandbox.ecs.faults.describeLagMs = 10 * 60_000;
    const runnerId = await queue(sandbox);
    const before = await sandbox.store.get(runnerId);
    expect(before?.status).toBe('idle');
    await sandbox.runHousekeeping();
    expect(await sandbox.store.get(runnerId)).toMatchObject({ status: 'idle', taskArn: before?.taskArn });

    // Still MISSING once the record is older than the grace: now it is gone.
    await backdate(sandbox, runnerId, ['updatedAt'], MISSING_TASK_GRACE_MS / 60_000 + 1);
    await sandbox.runHousekeeping();
    expect((await sandbox.store.get(runnerId))?.status).toBe('failed');
  });

  it('stops a task of this fleet with no live record, and removes offline ghost runners', async () => {
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0' });
    const kept = await queue(sandbox);
    const orphaned = await queue(sandbox);
    // The orphan's record is lost (e.g. deleted by hand); its task and GitHub runner live on.
    await tableClient(sandbox).send(new DeleteCommand({ TableName: sandbox.controlPlaneEnv.RUNNER_TABLE, Key: { runnerId: orphaned } }));
    // A ghost: registered long ago by this fleet, offline, with no record.
    sandbox.github.runners.set(999, { id: 999, name: 'ecs-runner-123456', labels: ['self-hosted'], status: 'offline', busy: false, jitUsed: true });
    // Another fleet's offline runner is not ours to remove.
    sandbox.github.runners.set(998, { id: 998, name: 'someone-else-1', labels: ['self-hosted'], status: 'offline', busy: false, jitUsed: true });
    // Whatever the orphan's task never took goes when its task stops, record or not.
    await leaveJitConfig(sandbox, orphaned);

    await sandbox.runHousekeeping();
    await sandbox.settle();

    expect(sandbox.ecs.liveTasks().map((t) => t.startedBy)).toEqual([kept]);
    const stopped = [...sandbox.ecs.tasks.values()].find((t) => t.startedBy === orphaned)!;
    expect(stopped).toMatchObject({ lastStatus: 'STOPPED', stoppedReason: `orphan: runner ${orphaned} has no live record` });
    expect(sandbox.github.runners.has(999)).toBe(false);
    expect(sandbox.github.runners.has(998)).toBe(true);
    expect(sandbox.ssm.under('/ecs-runner/jit/')).toEqual([]);
    expect(sandbox.github.findRunnerByName(kept)).toBeDefined();
    expect((await sandbox.store.get(kept))?.status).toBe('idle');
  });

  it('launches a replacement when a runner made for a job took a job with fewer labels, and the first job is stranded', async () => {
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0' });
    const medium = nextJobId();
    const plain = nextJobId();
    await sandbox.webhooks.send('workflow_job', workflowJobPayload('queued', repo, { id: medium, runId: medium, labels: ['self-hosted', 'class:medium'] }));
    await sandbox.webhooks.send('workflow_job', workflowJobPayload('queued', repo, { id: plain, runId: plain, labels: ['self-hosted'] }));
    await sandbox.settle();
    // GitHub gives the plain job to the medium job's runner: its labels include all of the plain job's.
    const mediumRunner = `ecs-runner-${medium}`;
    Object.assign(sandbox.github.jobs.get(plain)!, { status: 'in_progress', runnerName: mediumRunner });
    await sandbox.webhooks.send('workflow_job', workflowJobPayload('in_progress', repo, { id: plain, runId: plain, labels: ['self-hosted'], runnerName: mediumRunner }));
    await sandbox.settle();
    expect(await sandbox.store.get(mediumRunner)).toMatchObject({ status: 'busy', assignedJobId: plain });

    await sandbox.runHousekeeping();
    await sandbox.settle();
    expect(await sandbox.store.get(`${mediumRunner}r1`)).toBeUndefined(); // within the grace period GitHub may still assign it

    await backdate(sandbox, mediumRunner, ['createdAt'], 3);
    await sandbox.runHousekeeping();
    await sandbox.settle();
    const replacement = await sandbox.store.get(`${mediumRunner}r1`);
    expect(replacement).toMatchObject({ status: 'idle', jobId: medium, labels: ['self-hosted', 'class:medium'], runnerClass: 'medium', cpu: 1024, memory: 2048 });
    expect(sandbox.github.findRunnerByName(`${mediumRunner}r1`)?.labels).toEqual(['self-hosted', 'class:medium']);
    // The plain job reached one of ours: GitHub was asked only about the stranded one.
    expect(sandbox.github.calls['GET /repos/{owner}/{repo}/actions/jobs/{id}']).toBe(1);
    expect(sandbox.metrics.total('RunnersReplaced')).toBe(1);

    await sandbox.runHousekeeping();
    await sandbox.settle();
    expect(await sandbox.store.get(`${mediumRunner}r2`)).toBeUndefined(); // one replacement on its way is enough
  });
});
