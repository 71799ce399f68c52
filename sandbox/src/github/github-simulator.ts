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
  /** The next N calls answer a secondary rate limit (status `rateLimits.status`) with retry-after `secondaryRetryAfterSeconds`. */
  secondaryRateLimits: number;
  /** retry-after of an injected secondary limit (default 1 s). */
  secondaryRetryAfterSeconds?: number;
}

/**
 * GitHub's REST rate limits as the simulator enforces them ("Rate limits for
 * the REST API"): a primary budget per credential (a PAT's user, or an App
 * installation) and window, and two secondary limits. Every answer to an
 * authenticated request carries x-ratelimit-limit, -remaining, -used, -reset
 * (epoch seconds) and -resource: core.
 */
export interface GitHubRateLimits {
  /** Requests per window per credential (GitHub: 5,000 an hour; 15,000 for an App on GitHub Enterprise Cloud). 0: no primary limit. */
  limit: number;
  /** The window, from the credential's first request (GitHub: one hour). Short in tests, so a reset comes. */
  windowMs: number;
  /** What a refused request answers: GitHub documents 403 or 429 for both limits. */
  status: 403 | 429;
  /** Concurrent requests per credential (GitHub: no more than 100). 0: no limit. */
  maxConcurrent: number;
  /**
   * Content-creating requests (POST, PATCH, PUT; App token requests aside) per
   * credential per minute and per hour (GitHub: in general no more than 80 and
   * 500). 0: off. GitHub does not say which endpoints count, so the sandbox
   * counts none unless told to.
   */
  contentPerMinute: number;
  contentPerHour: number;
  /** retry-after (s) of a concurrency refusal (GitHub names none; its guidance is to wait at least a minute). */
  concurrencyRetryAfterSeconds: number;
  /** Each authenticated request takes this long (so concurrent requests overlap); 0 by default. */
  latencyMs: number;
}

export const DEFAULT_GITHUB_RATE_LIMITS: GitHubRateLimits = {
  limit: 5000,
  windowMs: 3_600_000,
  status: 403,
  maxConcurrent: 100,
  contentPerMinute: 0,
  contentPerHour: 0,
  concurrencyRetryAfterSeconds: 60,
  latencyMs: 0,
};

/** One credential's window: what it used, when the window resets, its requests in flight and its recent content-creating requests. */
export interface SimBudget {
  used: number;
  /** ms since epoch. */
  resetAt: number;
  inFlight: number;
  created: number[];
}

const SECONDARY_MESSAGE = 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.';
const RATE_LIMIT_DOCS = 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api';

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
  /** The limits enforced (settable by tests; SANDBOX_GITHUB_RATE_* in the sandbox). */
  readonly rateLimits: GitHubRateLimits;
  /** Each credential's window: `user` for the PAT, `installation:<id>` for an App installation. */
  readonly budgets = new Map<string, SimBudget>();
  /** Requests refused for a limit, by kind, and every refusal as it was answered (for tests). */
  readonly rateLimited = { primary: 0, secondary: 0 };
  readonly refusals: Array<{ at: number; kind: 'primary' | 'secondary'; route: string; status: number; headers: Record<string, string>; message: string }> = [];
  /** Requests a credential's budget accepted (counted against it), with when: what a test's rate figures come from. */
  readonly accepted: Array<{ at: number; credential: string; route: string }> = [];
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
  /** Installation tokens handed out, and the installation each belongs to. */
  private readonly installationTokens = new Map<string, number>();
  private readonly appKey?: KeyObject;

  constructor(
    readonly repo: string,
    private readonly auth: GitHubAuthConfig,
    rateLimits: Partial<GitHubRateLimits> = {},
  ) {
    if (auth.app) this.appKey = createPublicKey(auth.app.publicKeyPem);
    this.rateLimits = { ...DEFAULT_GITHUB_RATE_LIMITS, ...rateLimits };
  }

  /** A credential's current window (a new one once the last has reset). */
  budgetOf(credential: string, now = Date.now()): SimBudget {
    let budget = this.budgets.get(credential);
    if (!budget) {
      budget = { used: 0, resetAt: now + this.rateLimits.windowMs, inFlight: 0, created: [] };
      this.budgets.set(credential, budget);
    } else if (now >= budget.resetAt) {
      Object.assign(budget, { used: 0, resetAt: now + this.rateLimits.windowMs });
    }
    return budget;
  }

  /** The headers GitHub puts on every answer to an authenticated REST request. */
  private rateHeaders(budget: SimBudget): Record<string, string> {
    const limit = this.rateLimits.limit > 0 ? this.rateLimits.limit : Number.MAX_SAFE_INTEGER;
    return {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(Math.max(limit - budget.used, 0)),
      'x-ratelimit-used': String(Math.min(budget.used, limit)),
      'x-ratelimit-reset': String(Math.ceil(budget.resetAt / 1000)),
      'x-ratelimit-resource': 'core',
    };
  }

  /** Which credential an Authorization header authenticates (undefined: none the simulator accepts). */
  private credentialOf(header: string): string | undefined {
    const [scheme, credential] = header.split(' ');
    if (!credential || !/^(token|bearer)$/i.test(scheme ?? '')) return undefined;
    if (this.auth.token) return credential === this.auth.token ? 'user' : undefined;
    const installation = this.installationTokens.get(credential);
    return installation === undefined ? undefined : `installation:${installation}`;
  }

  private refuse(res: ServerResponse, kind: 'primary' | 'secondary', route: string, message: string, headers: Record<string, string>): void {
    this.rateLimited[kind]++;
    const status = this.rateLimits.status;
    this.refusals.push({ at: Date.now(), kind, route, status, headers, message });
    send(res, status, { message, documentation_url: RATE_LIMIT_DOCS }, headers);
  }

  /**
   * The rate limits for one authenticated request: refuses it (and answers)
   * when a limit holds, else counts it and returns the headers its answer
   * carries. GET /rate_limit does not count against the primary budget.
   */
  private admit(res: ServerResponse, credential: string, method: string, route: string, lowerPath: string): Record<string, string> | undefined {
    const now = Date.now();
    const limits = this.rateLimits;
    const budget = this.budgetOf(credential, now);
    if (limits.limit > 0 && budget.used >= limits.limit && lowerPath !== '/rate_limit') {
      const who = credential === 'user' ? 'user ID 1' : `installation ID ${credential.split(':')[1]}`;
      this.refuse(res, 'primary', route, `API rate limit exceeded for ${who}.`, this.rateHeaders(budget));
      return undefined;
    }
    if (limits.maxConcurrent > 0 && budget.inFlight >= limits.maxConcurrent) {
      this.refuse(res, 'secondary', route, SECONDARY_MESSAGE, { ...this.rateHeaders(budget), 'retry-after': String(limits.concurrencyRetryAfterSeconds) });
      return undefined;
    }
    if ((limits.contentPerMinute > 0 || limits.contentPerHour > 0) && ['POST', 'PATCH', 'PUT'].includes(method)) {
      budget.created = budget.created.filter((at) => now - at < 3_600_000);
      const lastMinute = budget.created.filter((at) => now - at < 60_000);
      // retry-after: until the oldest request of the full window leaves it.
      const full = limits.contentPerMinute > 0 && lastMinute.length >= limits.contentPerMinute ? lastMinute[0]! + 60_000 : limits.contentPerHour > 0 && budget.created.length >= limits.contentPerHour ? budget.created[0]! + 3_600_000 : undefined;
      if (full !== undefined) {
        this.refuse(res, 'secondary', route, SECONDARY_MESSAGE, { ...this.rateHeaders(budget), 'retry-after': String(Math.max(Math.ceil((full - now) / 1000), 1)) });
        return undefined;
      }
      budget.created.push(now);
    }
    if (lowerPath !== '/rate_limit') {
      budget.used++;
      this.accepted.push({ at: now, credential, route });
    }
    return this.rateHeaders(budget);
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

    const authorization = req.headers.authorization ?? '';
    if (Date.now() < this.faults.downUntil) return send(res, 502, { message: 'Server Error' });
    if (this.faults.secondaryRateLimits > 0) {
      this.faults.secondaryRateLimits--;
      const credential = this.credentialOf(authorization);
      const headers = credential ? this.rateHeaders(this.budgetOf(credential)) : {};
      return this.refuse(res, 'secondary', route, SECONDARY_MESSAGE, { ...headers, 'retry-after': String(this.faults.secondaryRetryAfterSeconds ?? 1) });
    }

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
        this.installationTokens.set(token, app.installationId);
        return send(res, 201, {
          token,
          expires_at: new Date(Date.now() + 3600_000).toISOString(),
          permissions: { administration: 'write', actions: 'read', repository_hooks: 'read', metadata: 'read' },
          repository_selection: 'selected',
        });
      }
      return send(res, 404, { message: 'Not Found' });
    }

    const credential = this.credentialOf(authorization);
    if (!credential) return send(res, 401, { message: 'Bad credentials' });
    const headers = this.admit(res, credential, method, route, lowerPath);
    if (!headers) return;
    const budget = this.budgetOf(credential);
    budget.inFlight++;
    try {
      if (this.rateLimits.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.rateLimits.latencyMs));
      answerHeaders.set(res, headers);
      return this.route(res, method, url, lowerPath, body);
    } finally {
      budget.inFlight--;
    }
  }

  /** GET /rate_limit: the credential's core budget (it does not count against it), as the rate-limit-overview schema has it. */
  private rateLimitOverview(res: ServerResponse): void {
    const headers = answerHeaders.get(res) ?? {};
    const core = { limit: Number(headers['x-ratelimit-limit']), remaining: Number(headers['x-ratelimit-remaining']), reset: Number(headers['x-ratelimit-reset']), used: Number(headers['x-ratelimit-used']) };
    const search = { limit: 30, remaining: 30, reset: Math.ceil(Date.now() / 1000) + 60, used: 0 };
    send(res, 200, { resources: { core, search }, rate: core });
  }

  private route(res: ServerResponse, method: string, url: URL, lowerPath: string, body: Buffer): void {
    const repoPrefix = `/repos/${this.repo}/actions/runners`;
    if (method === 'GET' && lowerPath === '/rate_limit') return this.rateLimitOverview(res);
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
        res.writeHead(204, answerHeaders.get(res) ?? {}).end();
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

/** The rate-limit headers an admitted request's answer carries, whichever route answers it. */
const answerHeaders = new WeakMap<ServerResponse, Record<string, string>>();

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-github-api-version-selected': '2022-11-28', ...answerHeaders.get(res), ...headers });
  res.end(payload);
}
