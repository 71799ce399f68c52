import { imageTagFor, parseImageReference, type RecordRef } from '@runner-fleet/core';
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
 * image:<ref> → the runner image built FROM it. Present in ECR: its task
 * definition (registered once per tag). Absent: exactly one build per tag
 * (the conditional image#<tag> record), and the runner waits in image_building
 * until the image-build route hears the build end.
 */
export async function resolveImage(runner: QueuedRunner & { baseImage: string }, deps: Deps): Promise<ImageResolution> {
  const { config, store, images, log } = deps;
  const ref = parseImageReference(runner.baseImage);
  if (typeof ref === 'string' || !config.imageBuildProject) {
    const reason = typeof ref === 'string' ? `label "image:${runner.baseImage}": ${ref}` : `label "image:${runner.baseImage}": dynamic images are disabled (IMAGE_BUILD_PROJECT is empty)`;
    await store.advance(runner.runnerId, 'failed', { statusReason: reason });
    return { kind: 'failed' };
  }
  const tag = imageTagFor(ref, config.imageContextHash);
  const image = `${config.ecrRepositoryUrl}:${tag}`;
  if (await images.exists(tag)) return { kind: 'ready', taskDefinition: await images.taskDefinitionFor(tag, image), image };

  if (await store.claimImageBuild(tag, runner.baseImage, FAILED_BUILD_RETRY_MS)) {
    let buildId: string;
    try {
      buildId = await images.startBuild(runner.baseImage, tag);
    } catch (error) {
      await store.releaseImageBuild(tag);
      throw error;
    }
    await store.updateImageBuild(tag, { buildId });
    log.info('image build started', { tag, buildId, baseImage: runner.baseImage });
  }
  const waiting = await store.advance(runner.runnerId, 'image_building', { image, statusReason: `waiting for the image build of ${runner.baseImage} (${tag})` });
  if (!waiting.changed) {
    log.info('runner no longer waits for a launch', { reason: waiting.reason });
    return { kind: 'waiting' };
  }
  // The build may have ended before this runner joined the wait: then no build event will wake it.
  const build = await store.getImageBuild(tag);
  if (!build || build.buildStatus === 'IN_PROGRESS') return { kind: 'waiting' };
  if (build.buildStatus === 'SUCCEEDED' && (await images.exists(tag))) {
    return { kind: 'ready', taskDefinition: await images.taskDefinitionFor(tag, image), image, ref: waiting.record };
  }
  if (build.buildStatus !== 'SUCCEEDED') {
    await store.advance(runner.runnerId, 'failed', { statusReason: `${build.statusReason ?? `image build ${build.buildId ?? ''} ${build.buildStatus}`} (retried for new jobs ${FAILED_BUILD_RETRY_MS / 60000} minutes after it failed)` });
    return { kind: 'failed' };
  }
  return { kind: 'waiting' };
}
