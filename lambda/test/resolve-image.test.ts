import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RunnerRecord } from '@runner-fleet/core';
import { readConfig } from '../src/config.js';
import { dispatchEventFor } from '../src/domain/dispatch-event.js';
import { launchRunner } from '../src/domain/launch-runner.js';
import { makeDeps, startTable, validEnv } from './support/fixtures.js';

/** Issue 14, finding 2: what dispatch builds FROM is the reference it matched, and only while the allow-list allows it. */
describe('image: labels at dispatch', () => {
  let table: Awaited<ReturnType<typeof startTable>>;
  beforeAll(async () => {
    table = await startTable();
  });
  afterAll(() => table.stop());

  const config = readConfig({ ...validEnv, IMAGE_BUILD_PROJECT: 'runner-images', ALLOWED_BASE_IMAGES: 'ubuntu:*' });

  let nextJobId = 9_000;
  /** A queued runner for `baseImage`, as ingress records it (record and bus event). */
  async function queuedFor(baseImage: string) {
    const jobId = nextJobId++;
    const at = table.clock.now.toISOString();
    const record: RunnerRecord = {
      runnerId: `ecs-runner-${jobId}`,
      status: 'queued',
      repo: 'octo-org/octo-repo',
      jobId,
      runId: jobId,
      runAttempt: 1,
      labels: ['self-hosted', `image:${baseImage}`],
      runnerClass: 'small',
      cpu: 512,
      memory: 1024,
      spot: false,
      baseImage,
      createdAt: at,
      updatedAt: at,
      version: 1,
    };
    await table.store.create(record);
    const detail = dispatchEventFor(record, `d-${jobId}`);
    return { detail, runner: detail.runner! };
  }

  it('builds FROM the canonical reference that matched the allow-list, not a second reading of the label', async () => {
    const deps = makeDeps(table.store, table.clock, { config });
    const { detail, runner } = await queuedFor('ubuntu:24.04');

    await launchRunner(detail, runner, deps);

    expect(deps.images.calls).toEqual([expect.stringMatching(/^exists img-ubuntu-24\.04-/), expect.stringMatching(/^startBuild docker\.io\/library\/ubuntu:24\.04 img-ubuntu-24\.04-/)]);
    expect(await table.store.get(runner.runnerId)).toMatchObject({ status: 'image_building', baseImage: 'ubuntu:24.04' });
  });

  it('fails a runner whose base the allow-list no longer allows, with no build and no task', async () => {
    const deps = makeDeps(table.store, table.clock, { config });
    // Recorded while the list allowed it (or a replacement of such a runner); the list now says ubuntu:* only.
    const { detail, runner } = await queuedFor('ubuntu:5000/ubuntu:24.04');

    await launchRunner(detail, runner, deps);

    expect(deps.images.calls).toEqual([]);
    expect(deps.tasks.calls).toEqual([]);
    expect(deps.github.calls).toEqual([]);
    expect(await table.store.get(runner.runnerId)).toMatchObject({
      status: 'failed',
      statusReason: 'label "image:ubuntu:5000/ubuntu:24.04": base image ubuntu:5000/ubuntu:24.04 is not allowed (ALLOWED_BASE_IMAGES: ubuntu:*)',
    });
  });
});
