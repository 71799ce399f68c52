import { BatchGetBuildsCommand, CodeBuildClient, StartBuildCommand } from '@aws-sdk/client-codebuild';
import { DescribeImagesCommand, type ECRClient } from '@aws-sdk/client-ecr';
import { DescribeTaskDefinitionCommand, RegisterTaskDefinitionCommand, type ECSClient, type RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import { taskFamilyFor } from '@runner-fleet/core';
import type { Config } from '../config.js';
import type { RunnerImages } from '../domain/ports.js';
import { lazyByKey } from '../runtime/lazy.js';

/** How long an image seen in ECR is taken to be there without asking DescribeImages again. */
export const IMAGE_PRESENT_TTL_MS = 10 * 60 * 1000;

/** ECR, ECS task definitions and CodeBuild for image: labels. */
export function createRunnerImages(ecr: ECRClient, ecs: ECSClient, codebuild: CodeBuildClient, config: Config, now: () => number = Date.now): RunnerImages {
  const repositoryName = config.ecrRepositoryUrl.split('/').slice(1).join('/');
  // The ECR lifecycle policy may expire an image: what was seen is trusted only for a while.
  const presentUntil = new Map<string, number>();

  async function registerFamily(tag: string, imageUri: string): Promise<string> {
    const family = taskFamilyFor(config.runnerTaskDefinition, tag);
    try {
      await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: family }));
      return family;
    } catch (error) {
      if ((error as { name?: string }).name !== 'ClientException') throw error;
    }
    // Same task as the default one (roles, logs, architecture), with this image.
    const base = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: config.runnerTaskDefinition }))).taskDefinition;
    if (!base) throw new Error(`task definition ${config.runnerTaskDefinition} not found`);
    const input: RegisterTaskDefinitionCommandInput = {
      family,
      taskRoleArn: base.taskRoleArn,
      executionRoleArn: base.executionRoleArn,
      networkMode: base.networkMode,
      requiresCompatibilities: base.requiresCompatibilities,
      cpu: base.cpu,
      memory: base.memory,
      runtimePlatform: base.runtimePlatform,
      containerDefinitions: (base.containerDefinitions ?? []).map((c) => (c.name === config.runnerContainerName ? { ...c, image: imageUri } : c)),
    };
    await ecs.send(new RegisterTaskDefinitionCommand(input));
    return family;
  }

  const families = lazyByKey((tag: string) => registerFamily(tag, `${config.ecrRepositoryUrl}:${tag}`));

  return {
    async exists(tag) {
      if ((presentUntil.get(tag) ?? 0) > now()) return true;
      presentUntil.delete(tag);
      try {
        const out = await ecr.send(new DescribeImagesCommand({ repositoryName, imageIds: [{ imageTag: tag }] }));
        const found = (out.imageDetails ?? []).length > 0;
        if (found) presentUntil.set(tag, now() + IMAGE_PRESENT_TTL_MS);
        return found;
      } catch (error) {
        if ((error as { name?: string }).name === 'ImageNotFoundException') return false;
        throw error;
      }
    },

    async forget(tag) {
      presentUntil.delete(tag);
    },

    taskDefinitionFor: (tag) => families(tag),

    async startBuild(baseImage, tag) {
      const out = await codebuild.send(
        new StartBuildCommand({
          projectName: config.imageBuildProject,
          // Values, not commands: the buildspec passes them to docker quoted.
          environmentVariablesOverride: [
            ...(baseImage ? [{ name: 'BASE_IMAGE', value: baseImage, type: 'PLAINTEXT' as const }] : []),
            { name: 'IMAGE_TAG', value: tag, type: 'PLAINTEXT' as const },
          ],
          idempotencyToken: tag.slice(-64),
        }),
      );
      const id = out.build?.id;
      if (!id) throw new Error(`CodeBuild started no build for ${baseImage ?? 'the default image'}`);
      return id;
    },

    async buildStatus(buildId) {
      const out = await codebuild.send(new BatchGetBuildsCommand({ ids: [buildId.split('/').pop()!] }));
      return out.builds?.[0]?.buildStatus;
    },
  };
}
