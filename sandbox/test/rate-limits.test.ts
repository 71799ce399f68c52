import { afterEach, describe, expect, it } from '@jest/globals';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EcsSimulator, maxInWindow, TokenBucket } from '../src/aws/ecs.js';
import type { EventBridgeSimulator } from '../src/aws/eventbridge.js';
import { AwsError } from '../src/aws/protocol.js';
import { GitHubSimulator, type GitHubRateLimits } from '../src/github/github-simulator.js';

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: { message?: string; documentation_url?: string; resources?: { core: Record<string, number> } } & Record<string, unknown>;
}

/** Drives the simulator in-process and returns what it answered. */
async function call(sim: GitHubSimulator, method: string, path: string, body: unknown = undefined, token = 'ghp_sim'): Promise<Answer> {
  const answer: Answer = { status: 0, headers: {}, body: {} };
  const res = {
    writeHead: (status: number, headers: Record<string, string> = {}) => ((answer.status = status), (answer.headers = headers), res),
    end: (payload?: string) => ((answer.body = payload ? (JSON.parse(payload) as Answer['body']) : {}), res),
    headersSent: false,
  } as unknown as ServerResponse;
  const req = { method, headers: { authorization: `token ${token}` } } as unknown as IncomingMessage;
  await sim.handle(req, res, path, Buffer.from(body === undefined ? '' : JSON.stringify(body)));
  return answer;
}

const github = (limits: Partial<GitHubRateLimits>) => new GitHubSimulator('octo/fleet', { token: 'ghp_sim' }, limits);
const list = (sim: GitHubSimulator) => call(sim, 'GET', '/repos/octo/fleet/actions/runners');
const jit = (sim: GitHubSimulator, name: string) => call(sim, 'POST', '/repos/octo/fleet/actions/runners/generate-jitconfig', { name, runner_group_id: 1, labels: ['self-hosted'] });

/** GitHub's "Rate limits for the REST API": the headers, and what a refusal answers. */
describe('the GitHub simulator rate limits', () => {
  it('puts the primary budget on every answer and refuses with 403, x-ratelimit-remaining 0 and the reset once it is spent', async () => {
    const sim = github({ limit: 3, windowMs: 60_000 });
    const before = Math.floor(Date.now() / 1000);
    const answers = [await list(sim), await jit(sim, 'r1'), await list(sim)];
    expect(answers.map((a) => a.status)).toEqual([200, 201, 200]);
    expect(answers.map((a) => a.headers['x-ratelimit-remaining'])).toEqual(['2', '1', '0']);
    expect(answers.map((a) => a.headers['x-ratelimit-used'])).toEqual(['1', '2', '3']);
    for (const a of answers) {
      expect(a.headers['x-ratelimit-limit']).toBe('3');
      expect(a.headers['x-ratelimit-resource']).toBe('core');
      expect(Number(a.headers['x-ratelimit-reset'])).toBeGreaterThanOrEqual(before + 60);
      expect(Number(a.headers['x-ratelimit-reset'])).toBeLessThanOrEqual(before + 62);
    }
    const refused = await jit(sim, 'r2');
    expect(refused.status).toBe(403);
    expect(refused.headers['x-ratelimit-remaining']).toBe('0');
    expect(refused.headers['x-ratelimit-reset']).toBe(answers[0]!.headers['x-ratelimit-reset']);
    expect(refused.headers['retry-after']).toBeUndefined();
    expect(refused.body.message).toBe('API rate limit exceeded for user ID 1.');
    expect(refused.body.documentation_url).toMatch(/rate-limits-for-the-rest-api$/);
    // A refused registration registers nothing.
    expect(sim.findRunnerByName('r2')).toBeUndefined();
    expect(sim.rateLimited).toEqual({ primary: 1, secondary: 0 });
    // GET /rate_limit does not count against the budget, and says what is left.
    const overview = await call(sim, 'GET', '/rate_limit');
    expect(overview.status).toBe(200);
    expect(overview.body.resources!.core).toEqual({ limit: 3, remaining: 0, used: 3, reset: Number(answers[0]!.headers['x-ratelimit-reset']) });
    expect(sim.accepted).toHaveLength(3);
  });

  it('starts a new window once the reset has passed, and can answer 429 instead of 403', async () => {
    const sim = github({ limit: 1, windowMs: 40, status: 429 });
    expect((await list(sim)).status).toBe(200);
    expect((await list(sim)).status).toBe(429);
    await new Promise((resolve) => setTimeout(resolve, 60));
    const fresh = await list(sim);
    expect(fresh.status).toBe(200);
    expect(fresh.headers['x-ratelimit-remaining']).toBe('0');
    expect(fresh.headers['x-ratelimit-used']).toBe('1');
  });

  it('keeps a budget per installation for a GitHub App', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const sim = new GitHubSimulator('octo/fleet', { app: { appId: '1', publicKeyPem: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(), installationId: 42 } }, { limit: 1 });
    const token = `ghs_${'a'.repeat(36)}`;
    (sim as unknown as { installationTokens: Map<string, number> }).installationTokens.set(token, 42);
    expect((await call(sim, 'GET', '/repos/octo/fleet/actions/runners', undefined, token)).status).toBe(200);
    const refused = await call(sim, 'GET', '/repos/octo/fleet/actions/runners', undefined, token);
    expect(refused.status).toBe(403);
    expect(refused.body.message).toBe('API rate limit exceeded for installation ID 42.');
    expect([...sim.budgets.keys()]).toEqual(['installation:42']);
  });

  it('answers an injected secondary limit with retry-after, the secondary-limit message and the budget headers', async () => {
    const sim = github({});
    sim.faults.secondaryRateLimits = 1;
    sim.faults.secondaryRetryAfterSeconds = 7;
    const refused = await list(sim);
    expect(refused.status).toBe(403);
    expect(refused.headers['retry-after']).toBe('7');
    expect(refused.headers['x-ratelimit-limit']).toBe('5000');
    expect(refused.body.message).toMatch(/exceeded a secondary rate limit/);
    expect((await list(sim)).status).toBe(200);
    expect(sim.rateLimited).toEqual({ primary: 0, secondary: 1 });
  });

  it('refuses content-creating requests over the per-minute limit, with retry-after until the window frees one', async () => {
    const sim = github({ contentPerMinute: 2 });
    expect((await jit(sim, 'a')).status).toBe(201);
    expect((await jit(sim, 'b')).status).toBe(201);
    const refused = await jit(sim, 'c');
    expect(refused.status).toBe(403);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(55);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(refused.body.message).toMatch(/secondary rate limit/);
    // Reads are not content-creating.
    expect((await list(sim)).status).toBe(200);
  });

  it('refuses requests over the concurrency limit as a secondary limit', async () => {
    const sim = github({ maxConcurrent: 2, latencyMs: 50 });
    const answers = await Promise.all([list(sim), list(sim), list(sim)]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 403]);
    const refused = answers.find((a) => a.status === 403)!;
    expect(refused.headers['retry-after']).toBe('60');
    expect(refused.body.message).toMatch(/secondary rate limit/);
    expect((await list(sim)).status).toBe(200);
  });
});

describe('the ECS simulator rate quotas', () => {
  const bus = { emit: () => undefined } as unknown as EventBridgeSimulator;
  let ecs: EcsSimulator | undefined;
  afterEach(() => ecs?.close());

  it('a token bucket lets a burst through, then its rate', () => {
    const bucket = new TokenBucket(20, 100, 0);
    let accepted = 0;
    for (let i = 0; i < 150; i++) accepted += Number(bucket.take(1, 0));
    expect(accepted).toBe(100);
    expect(bucket.take(1, 40)).toBe(false); // 0.8 of a token after 40 ms
    expect(bucket.take(1, 50)).toBe(true); // one token after 50 ms
    let later = 0;
    for (let i = 0; i < 100; i++) later += Number(bucket.take(1, 1050));
    expect(later).toBe(20);
  });

  it('maxInWindow finds the busiest window', () => {
    expect(maxInWindow([0, 100, 999, 1000, 1001, 2500], 1000)).toBe(4); // 100, 999, 1000, 1001
    expect(maxInWindow([], 1000)).toBe(0);
  });

  async function setUp(rates: ConstructorParameters<typeof EcsSimulator>[3]) {
    ecs = new EcsSimulator('eu-west-1', bus, { taskStartMs: 60_000 }, rates);
    const ops = ecs.service().operations;
    await ops.CreateCluster!({ clusterName: 'fleet', capacityProviders: ['FARGATE'] });
    await ops.RegisterTaskDefinition!({ family: 'runner', networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: '512', memory: '1024', containerDefinitions: [{ name: 'runner', image: 'runner:1' }] });
    const run = (startedBy: string, count = 1) => ops.RunTask!({ cluster: 'fleet', taskDefinition: 'runner', startedBy, count, networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } } });
    const errorOf = async (call: () => unknown) => {
      try {
        await call();
      } catch (error) {
        return error as AwsError;
      }
      throw new Error('the call succeeded');
    };
    return { run, errorOf };
  }

  it("defaults to AWS's numbers: RunTask 20 a second (burst and sustained), Fargate launches a bucket of 100 refilling at 20", () => {
    ecs = new EcsSimulator('eu-west-1', bus, { taskStartMs: 60_000 });
    expect(ecs.rates).toEqual({ runTaskRate: 20, runTaskBurst: 20, launchRate: 20, launchBurst: 100 });
  });

  it('answers ThrottlingException "Rate exceeded" (HTTP 400) past the RunTask bucket, and counts only accepted calls', async () => {
    const { run, errorOf } = await setUp({ runTaskRate: 1, runTaskBurst: 2 });
    await run('a');
    await run('b');
    const error = await errorOf(() => run('c'));
    expect(error).toBeInstanceOf(AwsError);
    expect([error.code, error.message, error.statusCode]).toEqual(['ThrottlingException', 'Rate exceeded', 400]);
    expect(ecs!.runTaskRateLimited).toBe(1);
    expect(ecs!.acceptedRunTasks).toHaveLength(2);
    expect(ecs!.tasksStarted).toBe(2);
  });

  it('takes one launch token per task a RunTask starts', async () => {
    const { run, errorOf } = await setUp({ runTaskRate: 100, runTaskBurst: 100, launchRate: 1, launchBurst: 10 });
    await run('a', 6);
    expect((await errorOf(() => run('b', 5))).code).toBe('ThrottlingException');
    await run('c', 4);
    expect(ecs!.tasksStarted).toBe(10);
    expect(ecs!.acceptedLaunches).toHaveLength(10);
  });

  it('keeps the injected throttle faults working alongside the quotas', async () => {
    const { run, errorOf } = await setUp({});
    ecs!.faults.runTaskThrottles = 1;
    expect((await errorOf(() => run('a'))).code).toBe('ThrottlingException');
    await run('b');
    expect(ecs!.runTaskThrottled).toBe(1);
    expect(ecs!.runTaskRateLimited).toBe(0);
  });
});
