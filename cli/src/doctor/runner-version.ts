import { fail, pass, warn, type CheckResult } from './result.js';

/** GitHub refuses a runner that has not installed a newer release this long after its publication. */
export const RUNNER_UPDATE_WINDOW_DAYS = 30;

/** One actions/runner release, as GET /repos/actions/runner/releases lists it. */
export interface RunnerRelease {
  tag_name: string;
  published_at: string | null;
  draft?: boolean;
  prerelease?: boolean;
}

/** Compares x.y.z versions numerically (a leading "v" is ignored). */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.replace(/^v/, '').split('.').map(Number);
  const [pa, pb] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return Math.sign(diff);
  }
  return 0;
}

/**
 * The pinned actions/runner version against GitHub's releases. The 30 days run from the first
 * release newer than the pin (GitHub's rule), not from the newest one.
 */
export function judgeRunnerVersion(pinned: string, releases: RunnerRelease[], now: Date): CheckResult {
  const newer = releases
    .filter((r) => !r.draft && !r.prerelease && r.published_at && compareVersions(r.tag_name, pinned) > 0)
    .sort((a, b) => compareVersions(a.tag_name, b.tag_name));
  if (newer.length === 0) return pass('runner-version', `The images install actions/runner ${pinned}, the latest release.`, { pinned });
  const first = newer[0]!;
  const newest = newer[newer.length - 1]!.tag_name.replace(/^v/, '');
  const ageDays = Math.floor((now.getTime() - Date.parse(first.published_at!)) / 86_400_000);
  const details = { pinned, latest: newest, firstNewer: first.tag_name.replace(/^v/, ''), firstNewerPublishedAt: first.published_at, ageDays };
  const update = `set runner_version = "${newest}" (and the Dockerfile's RUNNER_VERSION / RUNNER_SHA256_* when you build the image yourself) and apply`;
  const since = newer.length === 1 ? `${newest} was published ${ageDays} days ago` : `${newer.length} newer releases exist (${newest} the latest), the first published ${ageDays} days ago`;
  if (ageDays > RUNNER_UPDATE_WINDOW_DAYS) {
    return fail('runner-version', `The images install actions/runner ${pinned} but ${since}, past GitHub's ${RUNNER_UPDATE_WINDOW_DAYS}-day window (GitHub refuses outdated runners): ${update} now.`, details);
  }
  return warn('runner-version', `The images install actions/runner ${pinned}; ${since} and GitHub refuses outdated runners ${RUNNER_UPDATE_WINDOW_DAYS} days after that: ${update} within ${RUNNER_UPDATE_WINDOW_DAYS - ageDays} days.`, details);
}
