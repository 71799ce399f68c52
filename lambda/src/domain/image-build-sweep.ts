import type { RunnerRecord } from '@runner-fleet/core';
import { settleImageBuild } from './image-builds.js';
import type { Deps } from './ports.js';

/** Longer than the image project's build timeout (30 minutes by default), so CodeBuild reports first. */
export const IMAGE_BUILD_TIMEOUT_MS = 45 * 60 * 1000;
/** Bounded work per run: a huge backlog is worked through over several runs. */
const MAX_WAITING_PER_RUN = 2000;

/**
 * Runners waiting in image_building are woken or failed when their build
 * ended without an event reaching us, and a build that never reports is
 * failed after IMAGE_BUILD_TIMEOUT_MS.
 */
export async function settleImageBuilds(deps: Deps): Promise<{ settled: number; timedOut: number }> {
  const report = { settled: 0, timedOut: 0 };
  const { store, images, log } = deps;

  const waiting: RunnerRecord[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await store.listByStatus('image_building', { startKey, limit: 500 });
    waiting.push(...page.records);
    startKey = page.nextKey;
  } while (startKey && waiting.length < MAX_WAITING_PER_RUN);

  const tags = new Set(waiting.map((r) => r.image?.split(':').pop()).filter((t): t is string => Boolean(t)));
  for (const tag of tags) {
    const build = await store.getImageBuild(tag);
    if (!build) continue;
    if (build.buildStatus !== 'IN_PROGRESS') {
      // The end was recorded, but these runners joined the wait after it (or the dispatch was lost).
      await settleImageBuild(tag, { buildId: build.buildId ?? 'unknown', status: build.buildStatus, reason: build.statusReason ?? `image build ${build.buildStatus}` }, deps);
      report.settled++;
      continue;
    }
    const reported = build.buildId ? await images.buildStatus(build.buildId) : undefined;
    if (reported && reported !== 'IN_PROGRESS') {
      log.warn('image build ended without an event reaching the control plane', { tag, buildId: build.buildId, reported });
      await settleImageBuild(tag, { buildId: build.buildId!, status: reported as never, reason: `image build ${build.buildId} ${reported}; see the build's logs in CodeBuild` }, deps);
      report.settled++;
      continue;
    }
    const age = deps.now().getTime() - Date.parse(build.createdAt);
    if (age > IMAGE_BUILD_TIMEOUT_MS) {
      const reason = `image build ${build.buildId ?? '(never started)'} of ${build.baseImage} did not report within ${IMAGE_BUILD_TIMEOUT_MS / 60000} minutes`;
      log.warn('image build timed out', { tag, buildId: build.buildId });
      await settleImageBuild(tag, { buildId: build.buildId ?? 'unknown', status: 'TIMED_OUT', reason }, deps);
      report.timedOut++;
    }
  }
  return report;
}
