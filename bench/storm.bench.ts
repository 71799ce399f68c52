/**
 * `npm run bench:storm`: issue 6's storm in the sandbox. 1,000 queued jobs
 * within 10 s against MAX_RUNNERS=100, with 20 % of jobs redelivered, 10 %
 * of in_progress/completed out of order, 5 % cancelled before pickup, every
 * 10th RunTask throttled and one 30 s capacity outage. Prints the table.
 * STORM_JOBS and STORM_MAX_RUNNERS scale it down.
 */
import { runStorm, type StormResult } from '../sandbox/src/index.js';
import { percentile, printTable, type Row } from './stats.js';

const jobs = Number(process.env.STORM_JOBS ?? 1000);
const maxRunners = Number(process.env.STORM_MAX_RUNNERS ?? 100);

const result = await runStorm({
  jobs,
  withinMs: 10_000,
  maxRunners,
  redeliveredShare: 0.2,
  outOfOrderShare: 0.1,
  cancelledShare: 0.05,
  throttleEvery: 10,
  outage: { atMs: 3_000, forMs: 30_000 },
  taskStartMs: 500,
  pickupMs: 200,
  jobMs: 2_000,
  housekeepingMs: 10_000,
  idleTimeoutSeconds: 30,
  timeoutMs: 300_000,
});
printStorm(result);
process.exit(stormHeld(result) ? 0 : 1);

function stormHeld(r: StormResult): boolean {
  return r.drained && r.jobsLost === 0 && r.duplicateTasks === 0 && r.maxActiveRunners <= r.options.maxRunners && r.nonTerminalRecords === 0 && r.orphanTasks === 0 && r.ghostRunners === 0 && r.wallMs < 300_000;
}

function printStorm(r: StormResult): void {
  const o = r.options;
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const rows: Row[] = [
    { metric: 'jobs queued (webhooks sent, incl. redeliveries)', target: `${o.jobs} within ${s(o.withinMs)}`, measured: `${o.jobs} (${r.webhooksSent})`, ok: undefined },
    { metric: 'jobs succeeded / cancelled before pickup / other', target: 'all / ~5 % / 0', measured: `${r.jobsSucceeded} / ${r.jobsCancelled} / ${JSON.stringify(r.jobsOtherwise)}`, ok: r.jobsSucceeded + r.jobsCancelled === o.jobs },
    { metric: 'jobs lost (still queued or running on GitHub)', target: '0', measured: String(r.jobsLost), ok: r.jobsLost === 0 },
    { metric: 'tasks started: runner ran a job / ran none (job cancelled after launch)', target: 'one per job run', measured: `${r.tasksStarted}: ${r.tasksWithJob} / ${r.tasksWithoutJob}`, ok: r.tasksWithJob === r.jobsSucceeded },
    { metric: 'runner ids with a second task (duplicates)', target: '0', measured: String(r.duplicateTasks), ok: r.duplicateTasks === 0 },
    { metric: 'most active runners at once (records)', target: `≤ ${o.maxRunners}`, measured: String(r.maxActiveRunners), ok: r.maxActiveRunners <= o.maxRunners },
    { metric: 'most live ECS tasks at once (incl. exiting)', target: 'information', measured: String(r.peakLiveTasks), ok: undefined },
    { metric: 'records not terminal after housekeeping', target: '0', measured: String(r.nonTerminalRecords), ok: r.nonTerminalRecords === 0 },
    { metric: 'orphan tasks (still running at the end)', target: '0', measured: String(r.orphanTasks), ok: r.orphanTasks === 0 },
    { metric: 'ghost GitHub runners', target: '0', measured: String(r.ghostRunners), ok: r.ghostRunners === 0 },
    { metric: 'runners failed', target: 'information', measured: String(r.runnersFailed), ok: undefined },
    { metric: 'RunTask calls / throttled', target: `every ${o.throttleEvery}th throttled`, measured: `${r.runTaskCalls} / ${r.runTaskThrottled}`, ok: undefined },
    { metric: 'launch attempts that met the capacity outage', target: `one outage of ${s(o.outage.forMs)}`, measured: String(r.launchesWithoutCapacity), ok: undefined },
    { metric: 'queued → starting p50 / p99 (incl. waiting for a slot)', target: 'information', measured: `${s(percentile(r.queuedToStartingMs, 50))} / ${s(percentile(r.queuedToStartingMs, 99))}`, ok: undefined },
    { metric: 'wall time (first job to drained fleet)', target: '< 300 s', measured: s(r.wallMs), ok: r.drained && r.wallMs < 300_000 },
  ];
  printTable(`Storm: ${o.jobs} jobs, MAX_RUNNERS=${o.maxRunners}, task start ${o.taskStartMs} ms, pickup ${o.pickupMs} ms, job ${o.jobMs} ms, housekeeping every ${s(o.housekeepingMs)}`, rows);
  for (const reason of r.failureReasons) console.log(`failed: ${reason}`);
  if (!r.drained) console.log(`not drained: ${r.slotsHeld} slots held; for example ${JSON.stringify(r.stuck, null, 1)}`);
  if (r.problems.length) console.log(`sandbox problems (${r.problems.length}): ${[...new Set(r.problems)].slice(0, 5).join('; ')}`);
}
