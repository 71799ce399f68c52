import type { BuildStatus, RunnerRecord } from '@runner-fleet/core';
import { dispatchEventFor } from './dispatch-event.js';
import type { Deps } from './ports.js';

/** The fields of a CodeBuild Build State Change event's detail that the control plane reads. */
export interface BuildStateDetail {
  'build-status': string;
  'project-name': string;
  'build-id': string;
  'additional-information'?: {
    environment?: { 'environment-variables'?: Array<{ name: string; value: string }> };
    phases?: Array<{ 'phase-type'?: string; 'phase-status'?: string; 'phase-context'?: string[] }>;
  };
}

const ENDED: ReadonlySet<string> = new Set(['SUCCEEDED', 'FAILED', 'STOPPED', 'TIMED_OUT', 'FAULT']);

/**
 * A build of the image project ended: record it on image#<tag>, then put one
 * dispatch event on the bus per runner waiting for that image (SUCCEEDED), or
 * fail every waiting runner with the build id and why (anything else).
 */
export async function onBuildStateChange(detail: BuildStateDetail, deps: Deps): Promise<void> {
  const { log } = deps;
  const status = detail['build-status'];
  if (!ENDED.has(status)) return;
  const tag = detail['additional-information']?.environment?.['environment-variables']?.find((v) => v.name === 'IMAGE_TAG')?.value;
  if (!tag) {
    log.warn('build event without IMAGE_TAG; not one of the fleet\'s image builds', { buildId: detail['build-id'] });
    return;
  }
  const buildId = detail['build-id'];
  log.appendKeys({ buildId, tag, buildStatus: status });
  const failedPhase = detail['additional-information']?.phases?.find((p) => p['phase-status'] && p['phase-status'] !== 'SUCCEEDED' && p['phase-type'] !== 'COMPLETED');
  const reason =
    status === 'SUCCEEDED'
      ? 'image built'
      : `image build ${buildId} ${status}${failedPhase ? ` in ${failedPhase['phase-type']}: ${(failedPhase['phase-context'] ?? []).join(' ').slice(0, 300)}` : ''}; see the build's logs in CodeBuild`;
  await settleImageBuild(tag, { buildId, status: status as BuildStatus, reason }, deps);
}

/**
 * Records the end of the build of `tag` (once), then dispatches every runner
 * waiting for that image (SUCCEEDED) or fails them with `reason`. Used by the
 * build event and by housekeeping when an event was missed or never came.
 */
export async function settleImageBuild(tag: string, end: { buildId: string; status: BuildStatus; reason: string }, deps: Deps): Promise<number> {
  const { store, log, config } = deps;
  await store.updateImageBuild(tag, { buildStatus: end.status, statusReason: end.reason, buildId: end.buildId });

  const image = `${config.ecrRepositoryUrl}:${tag}`;
  const waiting: RunnerRecord[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await store.listByStatus('image_building', { startKey, limit: 500 });
    waiting.push(...page.records.filter((r) => r.image === image));
    startKey = page.nextKey;
  } while (startKey);
  log.info('image build ended', { tag, status: end.status, waiting: waiting.length });

  if (end.status !== 'SUCCEEDED') {
    for (const runner of waiting) await store.advance(runner.runnerId, 'failed', { statusReason: end.reason });
    return waiting.length;
  }
  await deps.bus.publishAll(waiting.map((r) => dispatchEventFor(r, `image-build:${end.buildId}:${r.runnerId}`)));
  return waiting.length;
}
