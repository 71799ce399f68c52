import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { workflowJobPayload, type Sandbox } from '../../src/index.js';
import { backdate, forwardHistory, nextJobId, recordHistories, startTestSandbox } from './harness.js';

/** Issue 5: runs-on image:<base> builds a runner FROM <base> once, and every waiting job runs on it. */
describe('dynamic runner images', () => {
  let sandbox: Sandbox & { problems: string[] };
  let histories: Map<string, string[]>;

  beforeAll(async () => {
    // Durations in proportion to real ones (build ≫ task start ≫ a webhook), so twenty concurrent jobs keep their order.
    sandbox = await startTestSandbox({
      IMAGE_BUILD_PROJECT: 'runner-images',
      SANDBOX_BUILD_MS: '600',
      SANDBOX_TASK_START_MS: '300',
      SANDBOX_PICKUP_MS: '600',
      SANDBOX_JOB_MS: '300',
      ALLOWED_BASE_IMAGES: 'ubuntu:*,alpine:*,debian:*',
    });
    histories = recordHistories(sandbox);
  });
  afterAll(() => sandbox.stop());

  const queueJobs = (n: number, labels: string[]) => Promise.all(Array.from({ length: n }, () => sandbox.autopilot.queueJob(labels)));

  it('builds an image once for twenty waiting jobs, then runs all twenty on it', async () => {
    const jobs = await queueJobs(20, ['self-hosted', 'image:ubuntu:24.04']);
    await sandbox.settle();

    expect(sandbox.codebuild.builds.size).toBe(1);
    const [build] = [...sandbox.codebuild.builds.values()];
    expect(build).toMatchObject({ buildStatus: 'SUCCEEDED', projectName: 'runner-images' });
    const env = Object.fromEntries(build!.environmentVariables.map((v) => [v.name, v.value]));
    // The build pulls the canonical reference that was matched against the allow-list, not a second reading of the label.
    expect(env.BASE_IMAGE).toBe('docker.io/library/ubuntu:24.04');
    expect(env.IMAGE_TAG).toMatch(/^img-ubuntu-24\.04-[0-9a-f]{16}$/);

    for (const job of jobs) {
      const runnerId = `ecs-runner-${job.id}`;
      expect(forwardHistory(histories.get(runnerId), ['queued', 'image_building', 'starting'], 'completed')).toBe(true);
      expect(await sandbox.store.get(runnerId)).toMatchObject({ status: 'completed', baseImage: 'ubuntu:24.04', image: `000000000000.dkr.ecr.us-east-1.amazonaws.com/runner-fleet-runner:${env.IMAGE_TAG}` });
    }
    const tasks = [...sandbox.ecs.tasks.values()];
    expect(tasks).toHaveLength(20);
    expect(new Set(tasks.map((t) => t.taskDefinitionArn)).size).toBe(1);
    expect(tasks[0]!.taskDefinitionArn).toMatch(new RegExp(`task-definition/runner-fleet-runner-${env.IMAGE_TAG!.slice(-16)}:1$`));
    expect(await sandbox.store.getImageBuild(env.IMAGE_TAG!)).toMatchObject({ buildStatus: 'SUCCEEDED', baseImage: 'docker.io/library/ubuntu:24.04' });
  }, 60_000); // twenty jobs through a build: slow on a loaded machine, and no timing is asserted

  it('launches a second wave for the same image at once, with no build', async () => {
    const before = sandbox.codebuild.builds.size;
    const jobs = await queueJobs(5, ['self-hosted', 'image:ubuntu:24.04']);
    await sandbox.settle();
    expect(sandbox.codebuild.builds.size).toBe(before);
    for (const job of jobs) expect(forwardHistory(histories.get(`ecs-runner-${job.id}`), ['queued', 'starting'], 'completed')).toBe(true);
  });

  it('takes one job through queued → image_building → starting → idle → busy → completed', async () => {
    const [job] = await queueJobs(1, ['self-hosted', 'image:debian:12']);
    await sandbox.settle();
    expect(histories.get(`ecs-runner-${job!.id}`)).toEqual(['queued', 'image_building', 'starting', 'idle', 'busy', 'completed']);
  });

  it('refuses a base the Dockerfile cannot install onto at the label, naming the supported families, with no build', async () => {
    const builds = sandbox.codebuild.builds.size;
    const tasksBefore = sandbox.ecs.tasksStarted;
    const jobs = await queueJobs(3, ['self-hosted', 'image:alpine:3.20']);
    await sandbox.settle();
    for (const job of jobs) {
      const record = await sandbox.store.get(`ecs-runner-${job.id}`);
      expect(record?.status).toBe('failed');
      expect(record?.statusReason).toContain('unsupported base image family; supported: debian, ubuntu');
    }
    expect(sandbox.codebuild.builds.size).toBe(builds);
    expect(sandbox.ecs.tasksStarted).toBe(tasksBefore);
  });

  it('fails every runner waiting for a build that fails, naming the build, and starts no task', async () => {
    const tasksBefore = sandbox.ecs.tasksStarted;
    const jobs = await queueJobs(20, ['self-hosted', 'image:debian:broken-sources']);
    await sandbox.settle();
    const failed = [...sandbox.codebuild.builds.values()].filter((b) => b.buildStatus === 'FAILED');
    expect(failed).toHaveLength(1);
    for (const job of jobs) {
      const record = await sandbox.store.get(`ecs-runner-${job.id}`);
      expect(record?.status).toBe('failed');
      expect(record?.statusReason).toContain(`image build arn:aws:codebuild:us-east-1:000000000000:build/${failed[0]!.id} FAILED in BUILD`);
      expect(record?.statusReason).toContain('Unable to locate package');
    }
    expect(sandbox.ecs.tasksStarted).toBe(tasksBefore);
  });

  it('refuses references outside the allow-list or malformed, with no build', async () => {
    const builds = sandbox.codebuild.builds.size;
    for (const label of ['image:', 'image:../../etc', 'image:ubuntu;rm -rf /', 'image:UPPER', `image:${'a'.repeat(300)}`, 'image:quay.io/evil/ubuntu:22.04']) {
      const id = nextJobId();
      const answer = await sandbox.webhooks.send('workflow_job', workflowJobPayload('queued', 'octo-org/octo-repo', { id, runId: id, labels: ['self-hosted', label] }));
      expect(answer.body.status).toBe('failed');
      expect((await sandbox.store.get(`ecs-runner-${id}`))?.statusReason).toMatch(/^label "image:/);
    }
    await sandbox.settle();
    expect(sandbox.codebuild.builds.size).toBe(builds);
  });
});

describe('dynamic images switched off', () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => {
    await sandbox?.stop();
  });

  it('records a job with an image label as failed, saying dynamic images are disabled', async () => {
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0', ALLOWED_BASE_IMAGES: 'ubuntu:*' });
    const id = nextJobId();
    const answer = await sandbox.webhooks.send('workflow_job', workflowJobPayload('queued', 'octo-org/octo-repo', { id, runId: id, labels: ['self-hosted', 'image:ubuntu:24.04'] }));
    expect(answer.body).toMatchObject({ status: 'failed', reason: 'label "image:ubuntu:24.04": dynamic images are disabled (IMAGE_BUILD_PROJECT is empty)' });
    await sandbox.settle();
    expect(sandbox.ecs.tasksStarted).toBe(0);
    expect(sandbox.codebuild.builds.size).toBe(0);
  });
});

describe('the default runner image', () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => {
    await sandbox?.stop();
  });

  it('is built by the first job when builds are on and it was never pushed', async () => {
    sandbox = await startTestSandbox({ IMAGE_BUILD_PROJECT: 'runner-images', SANDBOX_DEFAULT_IMAGE: '0', SANDBOX_BUILD_MS: '300', SANDBOX_TASK_START_MS: '200', SANDBOX_PICKUP_MS: '600', SANDBOX_JOB_MS: '200' });
    const histories = recordHistories(sandbox);
    const jobs = await Promise.all([sandbox.autopilot.queueJob(['self-hosted']), sandbox.autopilot.queueJob(['self-hosted'])]);
    await sandbox.settle();
    expect(sandbox.codebuild.builds.size).toBe(1);
    const env = Object.fromEntries([...sandbox.codebuild.builds.values()][0]!.environmentVariables.map((v) => [v.name, v.value]));
    expect(env).toEqual({ IMAGE_TAG: 'latest' });
    for (const job of jobs) expect(histories.get(`ecs-runner-${job.id}`)).toEqual(['queued', 'image_building', 'starting', 'idle', 'busy', 'completed']);
    expect([...sandbox.ecs.tasks.values()].every((t) => t.taskDefinitionArn.endsWith('task-definition/runner-fleet-runner:1'))).toBe(true);
  });
});

describe('an image build that never reports', () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => {
    await sandbox?.stop();
  });

  it('fails its waiting runners once housekeeping sees it past the timeout', async () => {
    sandbox = await startTestSandbox({ IMAGE_BUILD_PROJECT: 'runner-images', SANDBOX_AUTOPILOT: '0', ALLOWED_BASE_IMAGES: 'debian:*' });
    sandbox.codebuild.faults.hang = true;
    const ids = [nextJobId(), nextJobId()];
    for (const id of ids) await sandbox.webhooks.send('workflow_job', workflowJobPayload('queued', 'octo-org/octo-repo', { id, runId: id, labels: ['self-hosted', 'image:debian:12'] }));
    await sandbox.settle();
    for (const id of ids) expect((await sandbox.store.get(`ecs-runner-${id}`))?.status).toBe('image_building');

    // Within the timeout housekeeping leaves the build alone.
    await sandbox.runHousekeeping();
    for (const id of ids) expect((await sandbox.store.get(`ecs-runner-${id}`))?.status).toBe('image_building');

    // The build record says it started 46 minutes ago.
    const tag = (await sandbox.store.get(`ecs-runner-${ids[0]}`))!.image!.split(':').pop()!;
    await backdate(sandbox, `image#${tag}`, ['createdAt'], 46);
    await sandbox.runHousekeeping();

    for (const id of ids) {
      const record = await sandbox.store.get(`ecs-runner-${id}`);
      expect(record?.status).toBe('failed');
      expect(record?.statusReason).toMatch(/^image build .+ of docker.io\/library\/debian:12 did not report within 45 minutes$/);
    }
    expect(await sandbox.store.getImageBuild(tag)).toMatchObject({ buildStatus: 'TIMED_OUT' });
    expect(sandbox.ecs.tasksStarted).toBe(0);
  });
});
