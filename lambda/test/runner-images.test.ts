import { describe, expect, it } from '@jest/globals';
import type { CodeBuildClient } from '@aws-sdk/client-codebuild';
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { ECSClient } from '@aws-sdk/client-ecs';
import { createRunnerImages, IMAGE_PRESENT_TTL_MS } from '../src/adapters/runner-images.js';
import type { Config } from '../src/config.js';

/** An ECR that answers DescribeImages from a set of tags and counts the calls. */
function fakeEcr(tags: Set<string>) {
  const client = {
    calls: 0,
    async send(command: { input: { imageIds: Array<{ imageTag: string }> } }) {
      client.calls++;
      const tag = command.input.imageIds[0]!.imageTag;
      if (!tags.has(tag)) throw Object.assign(new Error('not found'), { name: 'ImageNotFoundException' });
      return { imageDetails: [{ imageTags: [tag] }] };
    },
  };
  return client;
}

const config = { ecrRepositoryUrl: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet', runnerTaskDefinition: 'fleet-runner' } as Config;

describe('runner images: what is known to be in ECR', () => {
  it('asks ECR again once the TTL has passed, so an expired image is seen as missing', async () => {
    const tags = new Set(['img-ubuntu-1']);
    const ecr = fakeEcr(tags);
    let now = 0;
    const images = createRunnerImages(ecr as unknown as ECRClient, {} as ECSClient, {} as CodeBuildClient, config, () => now);
    expect(await images.exists('img-ubuntu-1')).toBe(true);
    tags.delete('img-ubuntu-1'); // the lifecycle policy expired it
    now = IMAGE_PRESENT_TTL_MS - 1;
    expect(await images.exists('img-ubuntu-1')).toBe(true);
    expect(ecr.calls).toBe(1);
    now = IMAGE_PRESENT_TTL_MS + 1;
    expect(await images.exists('img-ubuntu-1')).toBe(false);
    expect(ecr.calls).toBe(2);
  });

  it('forgets a tag at once when told (e.g. ECS could not pull it)', async () => {
    const tags = new Set(['latest-abc']);
    const ecr = fakeEcr(tags);
    const images = createRunnerImages(ecr as unknown as ECRClient, {} as ECSClient, {} as CodeBuildClient, config, () => 0);
    expect(await images.exists('latest-abc')).toBe(true);
    tags.clear();
    images.forget('latest-abc');
    expect(await images.exists('latest-abc')).toBe(false);
  });
});
