import { fail, pass, warn, type CheckResult } from './result.js';

/** GitHub stops accepting a runner this long after a newer release is published. */
export const RUNNER_UPDATE_WINDOW_DAYS = 30;

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

/** The pinned actions/runner version against GitHub's latest release. */
export function judgeRunnerVersion(pinned: string, latest: { tag_name: string; published_at: string }, now: Date): CheckResult {
  const newest = latest.tag_name.replace(/^v/, '');
  const details = { pinned, latest: newest, publishedAt: latest.published_at };
  if (compareVersions(newest, pinned) <= 0) return pass('runner-version', `The images install actions/runner ${pinned}, the latest release.`, details);
  const ageDays = Math.floor((now.getTime() - Date.parse(latest.published_at)) / 86_400_000);
  const update = `set runner_version = "${newest}" (and the Dockerfile's RUNNER_VERSION / RUNNER_SHA256_* when you build the image yourself) and apply`;
  if (ageDays > RUNNER_UPDATE_WINDOW_DAYS) {
    return fail('runner-version', `The images install actions/runner ${pinned} but ${newest} was published ${ageDays} days ago, past GitHub's ${RUNNER_UPDATE_WINDOW_DAYS}-day window (GitHub refuses outdated runners): ${update} now.`, { ...details, ageDays });
  }
  return warn('runner-version', `The images install actions/runner ${pinned}; ${newest} was published ${ageDays} days ago and GitHub refuses outdated runners ${RUNNER_UPDATE_WINDOW_DAYS} days after a release: ${update} within ${RUNNER_UPDATE_WINDOW_DAYS - ageDays} days.`, { ...details, ageDays });
}
