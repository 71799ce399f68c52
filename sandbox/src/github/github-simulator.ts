import { createPublicKey, createVerify, randomBytes, type KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { issueJitConfig, runnerIdOf, type IssuedJitConfig } from './jit-config.js';

export interface SimRunner {
  id: number;
  name: string;
  labels: string[];
  status: 'online' | 'offline';
  busy: boolean;
  /** A JIT config registers its runner once. */
  jitUsed: boolean;
  /** The config GitHub issued for this registration. */
  jitConfig?: string;
}

export interface SimJob {
  id: number;
  runId: number;
  runAttempt: number;
  name: string;
  workflowName: string;
  labels: string[];
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: string | null;
  runnerName: string | null;
  runnerId: number | null;
  createdAt: string;
}

export interface GitHubFaults {
  /** Until this time (ms since epoch) every API call answers 502. */
  downUntil: number;
  /** The next N calls answer 403 "secondary rate limit" with Retry-After: 1. */
  secondaryRateLimits: number;
}

/** A repository webhook, as GET /repos/{owner}/{repo}/hooks lists it. */
export interface SimHook {
  id: number;
  active: boolean;
  events: string[];
  url: string;
}

/** One delivery of a hook, as GET …/hooks/{hook_id}/deliveries lists it. */
export interface SimDelivery {
  id: number;
  guid: string;
  deliveredAt: string;
  event: string;
  action: string | null;
  statusCode: number;
}

export interface GitHubAuthConfig {
  /** The PAT the sandbox stores in GITHUB_AUTH_PARAM, or undefined when an App is configured. */
  token?: string;
  app?: { appId: string; publicKeyPem: string; installationId: number };
}

/**
 * The GitHub REST endpoints the fleet calls, for one repository, under
 * `<sandbox>/github`: generate-jitconfig, list/delete runners, and App
 * installation tokens (the App's JWT is verified against its public key).
 */
export class GitHubSimulator {
  readonly runners = new Map<number, SimRunner>();
  readonly jobs = new Map<number, SimJob>();
  readonly faults: GitHubFaults = { downUntil: 0, secondaryRateLimits: 0 };
  readonly calls: Record<string, number> = {};
  /** Every JIT config handed out, by runner name (a leak test searches for them). */
  readonly issuedJitConfigs = new Map<string, IssuedJitConfig>();
  private nextRunnerId = 1;
  /** The repository's webhooks (the sandbox adds the one pointing at its /webhook). */
  readonly hooks: SimHook[] = [];
  /** Deliveries per hook id, newest last. */
  readonly deliveries = new Map<number, SimDelivery[]>();
  private nextDeliveryId = 1;
  /** actions/runner's releases (GET /repos/actions/runner/releases), any order. */
  runnerReleases: Array<{ version: string; publishedAt: string }> = [];
  private readonly installationTokens = new Set<string>();
  private readonly appKey?: KeyObject;

  constructor(
    readonly repo: string,
    private readonly auth: GitHubAuthConfig,
  ) {
    if (auth.app) this.appKey = createPublicKey(auth.app.publicKeyPem);
  }

  addHook(url: string, events = ['workflow_job']): SimHook {
    const hook: SimHook = { id: this.hooks.reduce((max, h) => Math.max(max, h.id), 0) + 1, active: true, events, url };
    this.hooks.push(hook);
    this.deliveries.set(hook.id, []);
    return hook;
  }

  /** Records a delivery on every active hook subscribed to its event, as hookshot logs it. */
  recordDelivery(delivery: { guid: string; event: string; action?: string; statusCode: number }, at = new Date()): void {
    for (const hook of this.hooks) {
      if (!hook.active || !(hook.events.includes(delivery.event) || hook.events.includes('*') || delivery.event === 'ping')) continue;
      const log = this.deliveries.get(hook.id) ?? [];
      log.push({ id: this.nextDeliveryId++, guid: delivery.guid, deliveredAt: at.toISOString(), event: delivery.event, action: delivery.action ?? null, statusCode: delivery.statusCode });
      // GitHub keeps deliveries for a few days; a bounded log is enough here.
      if (log.length > 1000) log.shift();
      this.deliveries.set(hook.id, log);
    }
  }

  findRunnerByName(name: string): SimRunner | undefined {
    for (const r of this.runners.values()) if (r.name === name) return r;
    return undefined;
  }

  async handle(req: IncomingMessage, res: ServerResponse, path: string, body: Buffer): Promise<void> {
    const url = new URL(path, 'http://github.sandbox');
    const method = req.method ?? 'GET';
    const route = `${method} ${url.pathname.replace(/\/\d+(?=\/|$)/g, '/{id}').replace(`/repos/${this.repo}/`, '/repos/{owner}/{repo}/')}`;
    this.calls[route] = (this.calls[route] ?? 0) + 1;

    if (Date.now() < this.faults.downUntil) return send(res, 502, { message: 'Server Error' });
    if (this.faults.secondaryRateLimits > 0) {
      this.faults.secondaryRateLimits--;
      return send(res, 403, { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' }, { 'retry-after': '1' });
    }

    const authorization = req.headers.authorization ?? '';
    const repoPrefix = `/repos/${this.repo}/actions/runners`;
    const lowerPath = url.pathname.toLowerCase();

    // App endpoints: authenticated with the App's JWT.
    if (url.pathname.startsWith('/app/') || lowerPath === `/repos/${this.repo.toLowerCase()}/installation`) {
      if (!this.verifyAppJwt(authorization)) return send(res, 401, { message: 'A JSON web token could not be decoded' });
      const app = this.auth.app!;
      if (method === 'GET' && lowerPath.endsWith('/installation')) return send(res, 200, { id: app.installationId, app_id: Number(app.appId) });
      const match = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(url.pathname);
      if (method === 'POST' && match) {
        if (Number(match[1]) !== app.installationId) return send(res, 404, { message: 'Not Found' });
        const token = `ghs_${randomBytes(18).toString('hex')}`;
        this.installationTokens.add(token);
        return send(res, 201, {
          token,
          expires_at: new Date(Date.now() + 3600_000).toISOString(),
          permissions: { administration: 'write', actions: 'read', repository_hooks: 'read', metadata: 'read' },
          repository_selection: 'selected',
        });
      }
      return send(res, 404, { message: 'Not Found' });
    }

    if (!this.authorized(authorization)) return send(res, 401, { message: 'Bad credentials' });
    const jobMatch = new RegExp(`^/repos/${this.repo.toLowerCase()}/actions/jobs/(\\d+)$`).exec(lowerPath);
    if (method === 'GET' && jobMatch) {
      const job = this.jobs.get(Number(jobMatch[1]));
      if (!job) return send(res, 404, { message: 'Not Found' });
      return send(res, 200, { id: job.id, run_id: job.runId, status: job.status, conclusion: job.conclusion, labels: job.labels, runner_name: job.runnerName, name: job.name });
    }
    if (method === 'GET' && lowerPath === '/repos/actions/runner/releases') {
      // Newest first, as GitHub lists them.
      const releases = [...this.runnerReleases].sort((a, b) => b.publishedAt.localeCompare(a.publishedAt));
      const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), 100);
      return send(res, 200, releases.slice(0, perPage).map((r, i) => ({ id: i + 1, tag_name: `v${r.version}`, name: `v${r.version}`, draft: false, prerelease: false, published_at: r.publishedAt, created_at: r.publishedAt })));
    }
    const repoPath = `/repos/${this.repo.toLowerCase()}`;
    if (method === 'GET' && lowerPath === repoPath) {
      return send(res, 200, { id: 1, name: this.repo.split('/')[1], full_name: this.repo, private: true, permissions: { admin: true, maintain: true, push: true, triage: true, pull: true } });
    }
    if (method === 'GET' && lowerPath === `${repoPath}/hooks`) {
      return send(res, 200, this.hooks.map((h) => ({ type: 'Repository', id: h.id, name: 'web', active: h.active, events: h.events, config: { url: h.url, content_type: 'json', insecure_ssl: '0' }, created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z' })));
    }
    const deliveriesMatch = new RegExp(`^${repoPath}/hooks/(\\d+)/deliveries$`).exec(lowerPath);
    if (method === 'GET' && deliveriesMatch) {
      const log = this.deliveries.get(Number(deliveriesMatch[1]));
      if (!log) return send(res, 404, { message: 'Not Found' });
      const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), 100);
      return send(res, 200, [...log].reverse().slice(0, perPage).map(describeDelivery));
    }
    if (!lowerPath.startsWith(repoPrefix.toLowerCase())) return send(res, 404, { message: 'Not Found' });
    const rest = url.pathname.slice(repoPrefix.length);

    if (method === 'POST' && rest === '/generate-jitconfig') return this.generateJitConfig(res, body);
    if (method === 'GET' && rest === '') {
      const name = url.searchParams.get('name');
      const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), 100);
      const page = Math.max(Number(url.searchParams.get('page') ?? 1), 1);
      const all = [...this.runners.values()].filter((r) => !name || r.name === name);
      return send(res, 200, { total_count: all.length, runners: all.slice((page - 1) * perPage, page * perPage).map(describeRunner) });
    }
    const one = /^\/(\d+)$/.exec(rest);
    if (one) {
      const runner = this.runners.get(Number(one[1]));
      if (!runner) return send(res, 404, { message: 'Not Found' });
      if (method === 'GET') return send(res, 200, describeRunner(runner));
      if (method === 'DELETE') {
        if (runner.busy) return send(res, 422, { message: `Bad request - Runner "${runner.name}" is still running a job"` });
        this.runners.delete(runner.id);
        res.writeHead(204).end();
        return;
      }
    }
    return send(res, 404, { message: 'Not Found' });
  }

  private generateJitConfig(res: ServerResponse, body: Buffer): void {
    let input: { name?: unknown; runner_group_id?: unknown; labels?: unknown; work_folder?: unknown };
    try {
      input = JSON.parse(body.toString('utf8')) as typeof input;
    } catch {
      return send(res, 400, { message: 'Problems parsing JSON' });
    }
    if (typeof input.name !== 'string' || !input.name) return send(res, 422, { message: 'Invalid input: object is missing required key: name' });
    if (!Number.isInteger(input.runner_group_id)) return send(res, 422, { message: 'Invalid input: object is missing required key: runner_group_id' });
    const labels = input.labels;
    if (!Array.isArray(labels) || labels.length < 1 || labels.length > 100 || !labels.every((l) => typeof l === 'string')) {
      return send(res, 422, { message: 'Invalid input: labels must hold 1 to 100 strings' });
    }
    if (this.findRunnerByName(input.name)) return send(res, 409, { message: `Already exists - A runner with the name ${input.name} already exists.` });
    const runner: SimRunner = { id: this.nextRunnerId++, name: input.name, labels: labels as string[], status: 'offline', busy: false, jitUsed: false };
    this.runners.set(runner.id, runner);
    const issued = issueJitConfig(runner, this.repo);
    this.issuedJitConfigs.set(runner.name, issued);
    runner.jitConfig = issued.encoded;
    send(res, 201, { runner: describeRunner(runner), encoded_jit_config: issued.encoded });
  }

  /** The runner process in a task reads its JIT config; undefined when it cannot register. */
  registerFromJitConfig(encoded: string | undefined): SimRunner | undefined {
    if (!encoded) return undefined;
    const runnerId = runnerIdOf(encoded);
    const runner = runnerId === undefined ? undefined : this.runners.get(runnerId);
    // Only the config issued for this registration, once.
    if (!runner || runner.jitUsed || runner.jitConfig !== encoded) return undefined;
    runner.jitUsed = true;
    runner.status = 'online';
    return runner;
  }

  private authorized(header: string): boolean {
    const [scheme, credential] = header.split(' ');
    if (!credential || !/^(token|bearer)$/i.test(scheme ?? '')) return false;
    if (this.auth.token) return credential === this.auth.token;
    return this.installationTokens.has(credential);
  }

  private verifyAppJwt(header: string): boolean {
    if (!this.appKey || !/^bearer /i.test(header)) return false;
    const parts = header.slice(7).trim().split('.');
    if (parts.length !== 3) return false;
    const [head, payload, signature] = parts as [string, string, string];
    const verifier = createVerify('RSA-SHA256');
    verifier.update(`${head}.${payload}`);
    if (!verifier.verify(this.appKey, Buffer.from(signature, 'base64url'))) return false;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iss?: unknown; exp?: number };
    return String(claims.iss) === this.auth.app!.appId && (claims.exp ?? 0) > Date.now() / 1000;
  }
}

function describeRunner(r: SimRunner) {
  return {
    id: r.id,
    name: r.name,
    os: 'Linux',
    status: r.status,
    busy: r.busy,
    ephemeral: true,
    labels: r.labels.map((name, i) => ({ id: i + 1, name, type: 'custom' })),
  };
}

function describeDelivery(d: SimDelivery) {
  const ok = d.statusCode >= 200 && d.statusCode < 300;
  return {
    id: d.id,
    guid: d.guid,
    delivered_at: d.deliveredAt,
    redelivery: false,
    duration: 0.05,
    status: ok ? 'OK' : `Invalid HTTP Response: ${d.statusCode}`,
    status_code: d.statusCode,
    event: d.event,
    action: d.action,
    installation_id: null,
    repository_id: 1,
  };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-github-api-version-selected': '2022-11-28', ...headers });
  res.end(payload);
}
