import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GitHubSimulator } from '../src/github/github-simulator.js';
import { GENERAL_STATUSES, SIMULATED_ROUTES } from '../src/github/simulated-routes.js';

interface OpenApiOperation {
  responses: Record<string, unknown>;
  requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown>; required?: string[] } }> };
}
type OpenApi = { paths: Record<string, Record<string, OpenApiOperation>> };

const DESCRIPTIONS = ['api.github.com', 'ghec', 'ghes-3.17', 'ghes-3.19'];
const load = (name: string): OpenApi => JSON.parse(readFileSync(new URL(`../../node_modules/@octokit/openapi/generated/${name}.json`, import.meta.url), 'utf8')) as OpenApi;

describe.each(DESCRIPTIONS)('the GitHub simulator against the %s description', (name) => {
  const api = load(name);

  it.each(SIMULATED_ROUTES.map((r) => [`${r.method.toUpperCase()} ${r.path}`, r] as const))('%s exists, and each status it answers is documented or general', (_label, route) => {
    const operation = api.paths[route.path]?.[route.method];
    expect(operation).toBeDefined();
    const undocumented = route.statuses.filter((status) => !(String(status) in operation!.responses) && !(status in GENERAL_STATUSES));
    expect(undocumented).toEqual([]);
  });

  it('reads only the jitconfig body fields the description defines, and requires what it requires', () => {
    const route = SIMULATED_ROUTES.find((r) => r.path.endsWith('/generate-jitconfig'))!;
    const schema = api.paths[route.path]![route.method]!.requestBody!.content['application/json']!.schema;
    expect(route.requestFields!.filter((field) => !(field in schema.properties!))).toEqual([]);
    expect(schema.required).toEqual(['name', 'runner_group_id', 'labels']);
  });
});

/** Drives the simulator in-process and returns the status it answered. */
async function call(sim: GitHubSimulator, method: string, path: string, body: unknown = undefined, token = 'ghp_sim'): Promise<number> {
  let status = 0;
  const res = { writeHead: (s: number) => ((status = s), res), end: () => res, headersSent: false } as unknown as ServerResponse;
  const req = { method, headers: { authorization: `token ${token}` } } as unknown as IncomingMessage;
  await sim.handle(req, res, path, Buffer.from(body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body)));
  return status;
}

describe('the GitHub simulator answers', () => {
  it('each PAT route with only the statuses declared for it', async () => {
    const sim = new GitHubSimulator('octo/fleet', { token: 'ghp_sim' });
    const seen: Array<[string, number]> = [];
    const record = async (key: string, method: string, path: string, body?: unknown, token?: string): Promise<void> => {
      seen.push([key, await call(sim, method, path, body, token)]);
    };
    const jit = 'post /repos/{owner}/{repo}/actions/runners/generate-jitconfig';
    const runner = '/repos/{owner}/{repo}/actions/runners/{runner_id}';
    await record(jit, 'POST', '/repos/octo/fleet/actions/runners/generate-jitconfig', { name: 'r1', runner_group_id: 1, labels: ['x'] });
    await record(jit, 'POST', '/repos/octo/fleet/actions/runners/generate-jitconfig', { name: 'r1', runner_group_id: 1, labels: ['x'] });
    await record(jit, 'POST', '/repos/octo/fleet/actions/runners/generate-jitconfig', { name: 'r2', runner_group_id: 1, labels: [] });
    await record(jit, 'POST', '/repos/octo/fleet/actions/runners/generate-jitconfig', '{');
    await record(jit, 'POST', '/repos/octo/fleet/actions/runners/generate-jitconfig', { name: 'r3' }, 'wrong');
    await record('get /repos/{owner}/{repo}/actions/runners', 'GET', '/repos/octo/fleet/actions/runners?name=r1');
    const id = sim.findRunnerByName('r1')!.id;
    await record(`get ${runner}`, 'GET', `/repos/octo/fleet/actions/runners/${id}`);
    await record(`delete ${runner}`, 'DELETE', `/repos/octo/fleet/actions/runners/${id}`);
    await record(`delete ${runner}`, 'DELETE', `/repos/octo/fleet/actions/runners/${id}`);
    await record(`get ${runner}`, 'GET', `/repos/octo/fleet/actions/runners/${id}`);
    await record('get /repos/{owner}/{repo}/actions/jobs/{job_id}', 'GET', '/repos/octo/fleet/actions/jobs/77');
    const declared = new Map(SIMULATED_ROUTES.map((r) => [`${r.method} ${r.path}`, r.statuses]));
    expect(seen.filter(([key, status]) => !declared.get(key)?.includes(status))).toEqual([]);
    expect(seen.map(([, status]) => status)).toEqual([201, 409, 422, 400, 401, 200, 200, 204, 404, 404, 404]);
  });
});

describe('the GitHub simulator answers the doctor\'s reads', () => {
  it('with only the statuses declared for each route', async () => {
    const sim = new GitHubSimulator('octo/fleet', { token: 'ghp_sim' });
    const hook = sim.addHook('http://127.0.0.1:1/webhook');
    sim.recordDelivery({ guid: 'a', event: 'workflow_job', action: 'queued', statusCode: 202 });
    sim.recordDelivery({ guid: 'b', event: 'workflow_job', action: 'queued', statusCode: 401 });
    sim.recordDelivery({ guid: 'c', event: 'push', statusCode: 202 });
    const seen: Array<[string, number]> = [];
    const record = async (key: string, path: string, token?: string) => void seen.push([key, await call(sim, 'GET', path, undefined, token)]);
    await record('get /repos/{owner}/{repo}', '/repos/octo/fleet');
    await record('get /repos/{owner}/{repo}', '/repos/octo/fleet', 'wrong');
    await record('get /repos/{owner}/{repo}/hooks', '/repos/octo/fleet/hooks');
    await record('get /repos/{owner}/{repo}/hooks/{hook_id}/deliveries', `/repos/octo/fleet/hooks/${hook.id}/deliveries?per_page=30`);
    await record('get /repos/{owner}/{repo}/hooks/{hook_id}/deliveries', '/repos/octo/fleet/hooks/99/deliveries');
    await record('get /repos/{owner}/{repo}/releases', '/repos/actions/runner/releases?per_page=100');
    await record('get /repos/{owner}/{repo}/releases', '/repos/octo/other/releases');
    const declared = new Map(SIMULATED_ROUTES.map((r) => [`${r.method} ${r.path}`, r.statuses]));
    expect(seen.filter(([key, status]) => !declared.get(key)?.includes(status))).toEqual([]);
    expect(seen.map(([, status]) => status)).toEqual([200, 401, 200, 200, 404, 200, 404]);
    // A hook subscribed to workflow_job logs only those deliveries (and pings).
    expect(sim.deliveries.get(hook.id)!.map((d) => d.statusCode)).toEqual([202, 401]);
  });
});
