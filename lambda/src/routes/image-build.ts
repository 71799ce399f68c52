import { onBuildStateChange, type BuildStateDetail } from '../domain/image-builds.js';
import type { Deps } from '../domain/ports.js';

/** CodeBuild Build State Change events of the image project (default bus). */
export async function imageBuild(detail: BuildStateDetail, deps: Deps): Promise<void> {
  await onBuildStateChange(detail, deps);
}
