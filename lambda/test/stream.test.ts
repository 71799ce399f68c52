import { describe, expect, it } from '@jest/globals';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { sign } from '@octokit/webhooks-methods';
import type { DynamoDBRecord } from 'aws-lambda';
import { handoffOf } from '../src/domain/stream-handoff.js';
import { ingress } from '../src/routes/ingress.js';
import { streamDispatch } from '../src/routes/stream.js';
import { config, makeDeps, recordingBus, streamInsertsOf, tablePerTest } from './support/fixtures.js';

/**
 * The hand-off ingress's one write makes: the runner table's stream carries the INSERT
 * of a queued record or of a job-update marker, and the stream route dispatches it.
 * The table is real (dynalite); the stream records are the ones AWS would carry.
 */
describe('stream hand-off', () => {
  const table = tablePerTest();
  let nextJob = 7000;

  async function deliver(action: 'queued' | 'in_progress' | 'completed', jobId: number, deps: ReturnType<typeof makeDeps>, extra: Record<string, unknown> = {}) {
    const body = JSON.stringify({
      action,
      repository: { full_name: 'octo-org/octo-repo' },
      workflow_job: { id: jobId, run_id: jobId, run_attempt: 1, name: 'build', workflow_name: 'CI', labels: ['self-hosted'], runner_name: null, conclusion: null, ...extra },
    });
    const deliveryId = `00000000-0000-4000-8000-${String(jobId).padStart(8, '0')}${action.slice(0, 4).padEnd(4, '0').replace(/[^0-9a-f]/g, 'a')}`;
    const response = await ingress({ headers: { 'x-github-event': 'workflow_job', 'x-github-delivery': deliveryId, 'x-hub-signature-256': await sign('secret', body), 'content-type': 'application/json' }, body: Buffer.from(body) }, deps);
    return { response, deliveryId };
  }

  it('a queued delivery writes one record and puts nothing on the bus; its INSERT launches the runner', async () => {
    const { bus, published } = recordingBus();
    const deps = makeDeps(table.store, table.clock, { bus });
    const jobId = nextJob++;
    const { response } = await deliver('queued', jobId, deps);
    expect(response.body).toEqual({ status: 'accepted', runnerId: `ecs-runner-${jobId}` });
    expect(published).toEqual([]);
    expect(deps.tasks.started.size).toBe(0);

    const answer = await streamDispatch(await streamInsertsOf(table.doc, [`ecs-runner-${jobId}`]), deps);
    expect(answer).toEqual({ batchItemFailures: [] });
    expect([...deps.tasks.started.keys()]).toEqual([`ecs-runner-${jobId}`]);
    expect((await table.store.get(`ecs-runner-${jobId}`))?.status).toBe('starting');
  });

  it('the same INSERT delivered twice (an at-least-once retry) starts one task', async () => {
    const deps = makeDeps(table.store, table.clock);
    const jobId = nextJob++;
    await deliver('queued', jobId, deps);
    const stream = await streamInsertsOf(table.doc, [`ecs-runner-${jobId}`]);
    await streamDispatch(stream, deps);
    await streamDispatch(stream, deps);
    expect(deps.tasks.started.size).toBe(1);
    // The retry asks GitHub again and is told the runner exists: one registration.
    expect(deps.github.registered.size).toBe(1);
  });

  it('in_progress and completed markers carry their update to dispatch; redeliveries are duplicates', async () => {
    const deps = makeDeps(table.store, table.clock);
    const jobId = nextJob++;
    await deliver('queued', jobId, deps);
    await streamDispatch(await streamInsertsOf(table.doc, [`ecs-runner-${jobId}`]), deps);
    const started = await deliver('in_progress', jobId, deps, { runner_name: `ecs-runner-${jobId}` });
    expect(started.response.body).toEqual({ status: 'accepted' });
    expect((await deliver('in_progress', jobId, deps, { runner_name: `ecs-runner-${jobId}` })).response.body).toEqual({ status: 'duplicate' });
    await streamDispatch(await streamInsertsOf(table.doc, [`started#ecs-runner-${jobId}`]), deps);
    expect((await table.store.get(`ecs-runner-${jobId}`))?.status).toBe('busy');

    const ended = await deliver('completed', jobId, deps, { runner_name: `ecs-runner-${jobId}`, conclusion: 'success' });
    expect(ended.response.body).toEqual({ status: 'accepted' });
    // A completed redelivered with another delivery id is still the same job's end.
    const again = await deliver('completed', jobId, deps, { runner_name: `ecs-runner-${jobId}`, conclusion: 'success', steps: [] });
    expect(again.response.body).toEqual({ status: 'duplicate' });
    await streamDispatch(await streamInsertsOf(table.doc, [`ended#${jobId}`]), deps);
    const record = await table.store.get(`ecs-runner-${jobId}`);
    expect(record?.status).toBe('completed');
    expect(record?.conclusion).toBe('success');
  });

  it('a late redelivery of a queued INSERT leaves a runner that moved on alone: a busy runner whose own job ended is not cancelled', async () => {
    const deps = makeDeps(table.store, table.clock);
    const jobId = nextJob++;
    const runnerId = `ecs-runner-${jobId}`;
    await deliver('queued', jobId, deps);
    const insert = await streamInsertsOf(table.doc, [runnerId]);
    await streamDispatch(insert, deps);
    // The runner took another job, and its own job ran elsewhere and ended.
    await table.store.advance(runnerId, 'busy', { assignedJobId: jobId + 500 });
    await deliver('completed', jobId, deps, { runner_name: 'other-fleet-1', conclusion: 'success' });
    const registrations = deps.github.calls.filter((c) => c.startsWith('generateJitConfig')).length;

    expect(await streamDispatch(insert, deps)).toEqual({ batchItemFailures: [] });
    expect(await table.store.get(runnerId)).toMatchObject({ status: 'busy', assignedJobId: jobId + 500 });
    expect(deps.tasks.started.size).toBe(1);
    expect(deps.github.calls.filter((c) => c.startsWith('generateJitConfig')).length).toBe(registrations);
  });

  it('an in_progress that names no runner is ignored and writes nothing', async () => {
    const deps = makeDeps(table.store, table.clock);
    const jobId = nextJob++;
    const { response } = await deliver('in_progress', jobId, deps, { runner_name: null });
    expect(response.body).toEqual({ status: 'ignored', reason: 'in_progress names no runner' });
    const scan = await table.doc.send(new ScanCommand({ TableName: config.runnerTable }));
    expect((scan.Items ?? []).filter((item) => JSON.stringify(item).includes(String(jobId)))).toEqual([]);
  });

  it('a queued whose completed arrived first is accepted but launches nothing', async () => {
    const deps = makeDeps(table.store, table.clock);
    const jobId = nextJob++;
    // completed is written first; its stream record has not been dispatched when queued arrives.
    await deliver('completed', jobId, deps, { conclusion: 'cancelled' });
    const queued = await deliver('queued', jobId, deps);
    expect(queued.response.body).toEqual({ status: 'accepted', runnerId: `ecs-runner-${jobId}` });
    await streamDispatch(await streamInsertsOf(table.doc, [`ecs-runner-${jobId}`, `ended#${jobId}`]), deps);
    expect(deps.tasks.started.size).toBe(0);
    expect((await table.store.get(`ecs-runner-${jobId}`))?.status).toBe('cancelled');
  });

  it('a failed record is reported with every record after it; the retry starts it, and no second task for those that ran', async () => {
    const deps = makeDeps(table.store, table.clock);
    const jobs = [nextJob++, nextJob++, nextJob++];
    for (const jobId of jobs) await deliver('queued', jobId, deps);
    const stream = await streamInsertsOf(table.doc, jobs.map((j) => `ecs-runner-${j}`));
    // The second job's registration fails (GitHub answers 502 past its retries).
    const generate = deps.github.generateJitConfig.bind(deps.github);
    deps.github.generateJitConfig = async (input) => {
      if (input.name === `ecs-runner-${jobs[1]}`) throw new Error('GitHub answered 502 Bad Gateway');
      return generate(input);
    };
    const answer = await streamDispatch(stream, deps);
    const sequence = (r: DynamoDBRecord) => r.dynamodb!.SequenceNumber!;
    // Lambda resumes from the lowest failure, so the third record is reported too, although it ran.
    expect(answer.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(stream.Records.slice(1).map(sequence));
    expect([...deps.tasks.started.keys()].sort()).toEqual([`ecs-runner-${jobs[0]}`, `ecs-runner-${jobs[2]}`].sort());

    deps.github.generateJitConfig = generate;
    const retry = await streamDispatch({ Records: stream.Records.slice(1) }, deps);
    expect(retry).toEqual({ batchItemFailures: [] });
    expect([...deps.tasks.started.keys()].sort()).toEqual(jobs.map((j) => `ecs-runner-${j}`).sort());
    expect(deps.tasks.started.size).toBe(3);
  });

  it('dispatches a batch side by side, each record logging its own keys', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const deps = makeDeps(table.store, table.clock);
    const record = (level: string) => (message: string, ...extra: Array<Record<string, unknown>>) => void lines.push(Object.assign({ level, message }, ...extra));
    deps.log = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error'), appendKeys: () => undefined, resetKeys: () => undefined };
    const jobs = [nextJob++, nextJob++];
    for (const jobId of jobs) await deliver('queued', jobId, deps);
    const stream = await streamInsertsOf(table.doc, jobs.map((j) => `ecs-runner-${j}`));
    // The first launch is held until the second has started: a sequential dispatch would never finish.
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    const generate = deps.github.generateJitConfig.bind(deps.github);
    deps.github.generateJitConfig = async (input) => {
      if (input.name === `ecs-runner-${jobs[0]}`) await firstHeld;
      const out = await generate(input);
      if (input.name === `ecs-runner-${jobs[1]}`) releaseFirst();
      return out;
    };
    expect(await streamDispatch(stream, deps)).toEqual({ batchItemFailures: [] });
    expect(deps.tasks.started.size).toBe(2);
    const started = lines.filter((l) => l.message === 'runner task started');
    expect(started.map((l) => [l.streamEventId, l.runnerId]).sort()).toEqual(stream.Records.map((r, i) => [r.eventID, `ecs-runner-${jobs[i]}`]).sort());
  });

  it('skips records that are no hand-off (a record without a delivery, a MODIFY) without failing the batch', async () => {
    const deps = makeDeps(table.store, table.clock);
    const jobId = nextJob++;
    await deliver('queued', jobId, deps);
    const stream = await streamInsertsOf(table.doc, [`ecs-runner-${jobId}`]);
    const modified = { ...stream.Records[0]!, eventName: 'MODIFY' as const };
    expect(handoffOf(modified)).toEqual({ skipped: 'a MODIFY record is no hand-off' });
    const withoutDelivery = structuredClone(stream.Records[0]!);
    delete withoutDelivery.dynamodb!.NewImage!.deliveryId;
    expect(handoffOf(withoutDelivery)).toHaveProperty('skipped');
    expect(await streamDispatch({ Records: [modified, withoutDelivery] }, deps)).toEqual({ batchItemFailures: [] });
    expect(deps.tasks.started.size).toBe(0);
  });
});
