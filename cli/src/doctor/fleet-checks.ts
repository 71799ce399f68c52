import { isTerminal, type RunnerRecord, type RunnerStatus } from '@runner-fleet/core';
import type { DoctorContext } from './context.js';
import { count, errorResult, fail, pass, warn, type CheckResult, type CheckStatus } from './result.js';

const minutesSince = (iso: string | undefined, now: Date) => (iso ? Math.floor((now.getTime() - Date.parse(iso)) / 60_000) : 0);

/** Why a job still waits, read from its record (DESIGN §4, §11), and how bad that is. */
export function explainWaiting(record: RunnerRecord, now: Date): { status: CheckStatus; why: string } {
  if (record.status === 'image_building') return { status: 'WARN', why: `waiting for the image build of ${record.baseImage ?? 'its image: label'} (builds time out after 45 minutes)` };
  if (record.retryAt && (record.launchAttempts ?? 0) > 0) {
    return { status: 'WARN', why: `backing off after ${record.launchAttempts} launch attempts that started nothing (${record.statusReason ?? 'capacity errors'}); next attempt ${record.retryAt <= now.toISOString() ? 'is due now' : `at ${record.retryAt}`}` };
  }
  if (record.retryAt) return { status: 'WARN', why: 'waiting for a runner slot: every MAX_RUNNERS slot is taken (raise max_runners if this is common)' };
  return { status: 'FAIL', why: `never dispatched${record.redispatches ? ` (housekeeping re-dispatched it ${record.redispatches} of 3 times)` : ''}: the dispatch event was lost or keeps failing (see dead-letter-queue and lambda-errors)` };
}

const worst = (statuses: CheckStatus[]): CheckStatus => (statuses.includes('FAIL') ? 'FAIL' : statuses.includes('WARN') ? 'WARN' : 'PASS');

async function liveRecords(ctx: DoctorContext, status: RunnerStatus): Promise<RunnerRecord[]> {
  const store = await ctx.fleet.store();
  const records: RunnerRecord[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await store.listByStatus(status, { startKey, limit: 500 });
    records.push(...page.records);
    startKey = page.nextKey;
  } while (startKey);
  return records;
}

/** Jobs queued longer than --queued-minutes, and why each waits. */
export async function checkQueuedJobs(ctx: DoctorContext): Promise<CheckResult> {
  let waiting: RunnerRecord[];
  try {
    waiting = [...(await liveRecords(ctx, 'queued')), ...(await liveRecords(ctx, 'image_building'))];
  } catch (error) {
    return errorResult('queued-jobs', 'Reading queued runners', error);
  }
  const old = waiting.filter((r) => minutesSince(r.createdAt, ctx.now) >= ctx.queuedMinutes).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  if (old.length === 0) return pass('queued-jobs', `No job has waited ${ctx.queuedMinutes} minutes or more (${waiting.length} waiting now).`);
  const jobs = old.map((r) => ({ runnerId: r.runnerId, repo: r.repo, jobId: r.jobId, minutes: minutesSince(r.createdAt, ctx.now), ...explainWaiting(r, ctx.now) }));
  const first = jobs[0]!;
  const status = worst(jobs.map((j) => j.status));
  const next = status === 'FAIL' ? 'Fix the control plane\'s errors first; housekeeping re-dispatches a lost job after 10 minutes, 3 times at most.' : 'Each job\'s reason is in --json; ecsrunner runners details <id> shows one.';
  const message = `${count(jobs.length, 'job')} queued ${ctx.queuedMinutes}+ minutes; the oldest, ${first.runnerId} (${first.minutes} min), is ${first.why}. ${next}`;
  return { check: 'queued-jobs', status, message, details: { jobs } };
}

/** Runners in one live status far longer than the control plane allows (housekeeping is not doing its job). */
export async function checkStuckRunners(ctx: DoctorContext): Promise<CheckResult> {
  const env = ctx.lambdaEnv ?? {};
  const idleMinutes = Math.ceil(Number(env.IDLE_TIMEOUT_SECONDS || 600) / 60);
  const busyMinutes = Math.ceil(Number(env.MAX_JOB_SECONDS || 25_200) / 60);
  // Housekeeping acts every minute; allow it a few rounds beyond each limit.
  const limits: Array<[RunnerStatus, number]> = [['image_building', 45 + 5], ['starting', 10 + 5], ['idle', idleMinutes + 5], ['busy', busyMinutes + 5]];
  const stuck: Array<{ runnerId: string; status: string; minutes: number }> = [];
  try {
    for (const [status, limit] of limits) {
      for (const r of await liveRecords(ctx, status)) {
        const minutes = minutesSince(r.updatedAt, ctx.now);
        if (minutes > limit) stuck.push({ runnerId: r.runnerId, status, minutes });
      }
    }
  } catch (error) {
    return errorResult('stuck-runners', 'Reading live runners', error);
  }
  if (stuck.length === 0) return pass('stuck-runners', 'No runner is stuck in image_building, starting, idle or busy beyond its limit.');
  const s = stuck[0]!;
  return fail('stuck-runners', `${count(stuck.length, 'runner')} stuck (e.g. ${s.runnerId} ${s.status} for ${s.minutes} min) although housekeeping should have ended them: check that the one-minute schedule rule is enabled and see lambda-errors; ecsrunner runners terminate <id> stops one.`, { stuck });
}

/** Whether a record means the runner or task should no longer exist. */
const gone = (record: RunnerRecord | undefined, now: Date) => !record || (isTerminal(record.status) && minutesSince(record.updatedAt, now) >= 5);

/** Runners registered on GitHub with our prefix but no live record. */
export async function checkGhostRunners(ctx: DoctorContext): Promise<CheckResult> {
  const d = ctx.descriptor;
  if (!d) return warn('ghost-runners', 'Not checked: needs the fleet descriptor: export ECSRUNNER_FLEET=<name_prefix> (or pass --fleet).');
  try {
    const api = await ctx.github();
    const ours: Array<{ id: number; name: string; status: string }> = [];
    for (let page = 1; page <= 10; page++) {
      const answer = await api.get<{ runners?: Array<{ id: number; name: string; status: string }> }>(`/repos/${d.github.repo}/actions/runners?per_page=100&page=${page}`);
      if (answer.status !== 200) return warn('ghost-runners', `Could not list ${d.github.repo}'s runners (${answer.status}): see the github-credential check.`);
      const runners = answer.body.runners ?? [];
      ours.push(...runners.filter((r) => r.name.startsWith(`${d.runnerNamePrefix}-`)));
      if (runners.length < 100) break;
    }
    const store = await ctx.fleet.store();
    const records = await Promise.all(ours.map((r) => store.get(r.name)));
    const ghosts = ours.filter((_r, i) => gone(records[i], ctx.now));
    if (ghosts.length === 0) return pass('ghost-runners', `No ghosts: ${count(ours.length, 'runner')} registered on GitHub with prefix ${d.runnerNamePrefix}-, each with a live record.`);
    return warn('ghost-runners', `${count(ghosts.length, 'runner')} on GitHub with our prefix but no live record (e.g. ${ghosts[0]!.name}, ${ghosts[0]!.status}): housekeeping deletes offline ones every minute; delete the rest in Settings → Actions → Runners.`, { ghosts });
  } catch (error) {
    return errorResult('ghost-runners', 'Listing GitHub runners', error);
  }
}

/** Running ECS tasks started by the fleet whose record is gone or terminal. */
export async function checkOrphanTasks(ctx: DoctorContext): Promise<CheckResult> {
  const d = ctx.descriptor;
  if (!d) return warn('orphan-tasks', 'Not checked: needs the fleet descriptor: export ECSRUNNER_FLEET=<name_prefix> (or pass --fleet).');
  try {
    const { ListTasksCommand, DescribeTasksCommand } = await import('@aws-sdk/client-ecs');
    const ecs = await ctx.fleet.ecs();
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      // startedBy may not be combined with desiredStatus (ECS API): filter on DescribeTasks.
      const page = await ecs.send(new ListTasksCommand({ cluster: d.cluster, desiredStatus: 'RUNNING', maxResults: 100, nextToken }));
      arns.push(...(page.taskArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken && arns.length < 1000);
    const tasks = [];
    for (let i = 0; i < arns.length; i += 100) {
      tasks.push(...((await ecs.send(new DescribeTasksCommand({ cluster: d.cluster, tasks: arns.slice(i, i + 100) }))).tasks ?? []));
    }
    const ours = tasks.filter((t) => t.startedBy?.startsWith(`${d.runnerNamePrefix}-`));
    const store = await ctx.fleet.store();
    const records = await Promise.all(ours.map((t) => store.get(t.startedBy!)));
    const orphans = ours.filter((_t, i) => gone(records[i], ctx.now)).map((t) => ({ taskArn: t.taskArn, startedBy: t.startedBy, lastStatus: t.lastStatus }));
    if (orphans.length === 0) return pass('orphan-tasks', `No orphans: ${count(ours.length, 'running task')} started by the fleet, each with a live record.`);
    return warn('orphan-tasks', `${count(orphans.length, 'running task')} started by the fleet with no live record (e.g. ${orphans[0]!.startedBy}); they cost money: housekeeping stops them every minute, or stop one with aws ecs stop-task --cluster ${d.cluster} --task ${orphans[0]!.taskArn}.`, { orphans });
  } catch (error) {
    return errorResult('orphan-tasks', `Listing ECS tasks in ${d.cluster}`, error);
  }
}
