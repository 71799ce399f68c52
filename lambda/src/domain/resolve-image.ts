import { baseImageFamily, imageTagFor, isAllowedImage, parseImageReference, SUPPORTED_BASE_FAMILIES, type RecordRef } from '@runner-fleet/core';
import type { Deps, QueuedRunner } from './ports.js';

/** A failed build is not retried for this long: jobs for that image fail with its reason meanwhile. */
export const FAILED_BUILD_RETRY_MS = 10 * 60 * 1000;

export type ImageResolution =
  /** Launch now with this task definition and image (`ref`: the record as it now stands, if it changed). */
  | { kind: 'ready'; taskDefinition: string; image: string; ref?: RecordRef }
  /** The runner now waits (image_building) for the build of its image. */
  | { kind: 'waiting' }
  /** The runner was recorded failed. */
  | { kind: 'failed' };

/**
 * Which image a runner runs. image:<ref> → the runner image built FROM <ref>,
 * with a task definition per image; no label → the default image. With builds
 * on, a missing image is built exactly once per tag (the conditional
 * image#<tag> record) while its runners wait in image_building; with builds
 * off, the default image is launched as it is (a missing one fails the task
 * with ECS's CannotPullContainerError, recorded as the reason).
 */
export async function resolveImage(runner: QueuedRunner, deps: Deps): Promise<ImageResolution> {
  const { config, store } = deps;
  if (!runner.baseImage) {
    const image = `${config.ecrRepositoryUrl}:${config.runnerImageTag}`;
    if (!config.imageBuildProject) return { kind: 'ready', taskDefinition: config.runnerTaskDefinition, image };
    return ensureBuilt(runner, { tag: config.runnerImageTag, image, baseImage: undefined, taskDefinition: async () => config.runnerTaskDefinition }, deps);
  }
  const ref = parseImageReference(runner.baseImage);
  // Checked again here, not only at ingress: a record or a replacement may outlive a change of the allow-list.
  const refusal =
    typeof ref === 'string'
      ? ref
      : !config.imageBuildProject
        ? 'dynamic images are disabled (IMAGE_BUILD_PROJECT is empty)'
        : !isAllowedImage(ref, config.allowedBaseImages)
          ? `base image ${ref.canonical} is not allowed (ALLOWED_BASE_IMAGES: ${config.allowedBaseImages.join(', ') || 'none'})`
          : undefined;
  if (typeof ref === 'string' || refusal) {
    await store.advance(runner.runnerId, 'failed', { statusReason: `label "image:${runner.baseImage}": ${refusal}` });
    return { kind: 'failed' };
  }
  // runner/Dockerfile is apt-based: refuse other families here, before a build is spent on them.
  if (!baseImageFamily(ref)) {
    const reason = `label "image:${runner.baseImage}": unsupported base image family; supported: ${SUPPORTED_BASE_FAMILIES.join(', ')} (the repository name must be one of them, e.g. public.ecr.aws/docker/library/ubuntu:24.04)`;
    await store.advance(runner.runnerId, 'failed', { statusReason: reason });
    return { kind: 'failed' };
  }
  const tag = imageTagFor(ref, config.imageContextHash);
  const image = `${config.ecrRepositoryUrl}:${tag}`;
  // The build pulls the canonical reference, the one that was matched: never a second reading of what was written.
  return ensureBuilt(runner, { tag, image, baseImage: ref.canonical, taskDefinition: () => deps.images.taskDefinitionFor(tag) }, deps);
}

interface Wanted {
  tag: string;
  image: string;
  /** undefined: the Dockerfile's default base (the fleet's default image). */
  baseImage: string | undefined;
  taskDefinition: () => Promise<string>;
}

async function ensureBuilt(runner: QueuedRunner, wanted: Wanted, deps: Deps): Promise<ImageResolution> {
  const { store, images, log } = deps;
  const { tag, image, baseImage } = wanted;
  const what = baseImage ?? 'the default runner image';
  if (await images.exists(tag)) return { kind: 'ready', taskDefinition: await wanted.taskDefinition(), image };

  if (await store.claimImageBuild(tag, baseImage ?? 'default', FAILED_BUILD_RETRY_MS)) {
    let buildId: string;
    try {
      buildId = await images.startBuild(baseImage, tag);
    } catch (error) {
      await store.releaseImageBuild(tag);
      throw error;
    }
    await store.updateImageBuild(tag, { buildId });
    log.info('image build started', { tag, buildId, baseImage: what });
  }
  const waiting = await store.advance(runner.runnerId, 'image_building', { image, statusReason: `waiting for the image build of ${what} (${tag})` });
  if (!waiting.changed) {
    log.info('runner no longer waits for a launch', { reason: waiting.reason });
    return { kind: 'waiting' };
  }
  // The build may have ended before this runner joined the wait: then no build event will wake it.
  const build = await store.getImageBuild(tag);
  if (!build || build.buildStatus === 'IN_PROGRESS') return { kind: 'waiting' };
  if (build.buildStatus === 'SUCCEEDED' && (await images.exists(tag))) {
    return { kind: 'ready', taskDefinition: await wanted.taskDefinition(), image, ref: waiting.record };
  }
  if (build.buildStatus !== 'SUCCEEDED') {
    await store.advance(runner.runnerId, 'failed', { statusReason: `${build.statusReason ?? `image build ${build.buildId ?? ''} ${build.buildStatus}`} (retried for new jobs ${FAILED_BUILD_RETRY_MS / 60000} minutes after it failed)` });
    return { kind: 'failed' };
  }
  return { kind: 'waiting' };
}
