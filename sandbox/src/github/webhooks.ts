import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { sign } from '@octokit/webhooks-methods';

interface WebhookDefinition {
  name: string;
  examples: Array<Record<string, unknown>>;
}

const definitions = createRequire(import.meta.url)('@octokit/webhooks-examples') as WebhookDefinition[];

/** A real payload of GitHub's, from @octokit/webhooks-examples, deep-copied so it can be edited. */
export function examplePayload(event: string, action?: string, pick: (p: Record<string, unknown>) => boolean = () => true): Record<string, unknown> {
  const examples = definitions.find((d) => d.name === event)?.examples ?? [];
  const example = examples.find((e) => (action === undefined || e.action === action) && pick(e));
  if (!example) throw new Error(`no example payload for ${event}${action ? `.${action}` : ''}`);
  return structuredClone(example);
}

export interface JobFields {
  id: number;
  runId: number;
  runAttempt?: number;
  name?: string;
  workflowName?: string;
  labels: unknown[];
  runnerName?: string | null;
  runnerId?: number | null;
  conclusion?: string | null;
}

/** A workflow_job payload built on GitHub's own example for that action, with this job's fields. */
export function workflowJobPayload(action: 'queued' | 'in_progress' | 'completed' | 'waiting', repo: string, job: JobFields, installationId?: number): Record<string, unknown> {
  // An example with the fields today's schema requires (an older in_progress example lacks
  // head_branch and created_at); for queued, one whose runner fields are null, as before pickup.
  const payload = examplePayload('workflow_job', action, (p) => {
    const example = p.workflow_job as Record<string, unknown>;
    return 'head_branch' in example && 'created_at' in example && (action !== 'queued' || example.runner_name === null);
  });
  const [owner, name] = repo.split('/');
  const wj = payload.workflow_job as Record<string, unknown>;
  Object.assign(wj, {
    id: job.id,
    run_id: job.runId,
    run_attempt: job.runAttempt ?? 1,
    name: job.name ?? 'build',
    workflow_name: job.workflowName ?? 'CI',
    labels: job.labels,
    status: action === 'waiting' ? 'waiting' : action,
    conclusion: action === 'completed' ? (job.conclusion ?? 'success') : null,
    runner_name: job.runnerName ?? null,
    runner_id: job.runnerId ?? null,
    url: `https://api.github.com/repos/${repo}/actions/jobs/${job.id}`,
    html_url: `https://github.com/${repo}/actions/runs/${job.runId}/job/${job.id}`,
    run_url: `https://api.github.com/repos/${repo}/actions/runs/${job.runId}`,
  });
  const repository = payload.repository as Record<string, unknown>;
  Object.assign(repository, { full_name: repo, name, html_url: `https://github.com/${repo}` });
  (repository.owner as Record<string, unknown>).login = owner;
  if (installationId) payload.installation = { id: installationId, node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u' };
  else delete payload.installation;
  return payload;
}

export interface SendOptions {
  deliveryId?: string;
  /** Send as application/x-www-form-urlencoded (payload=…) instead of JSON. */
  form?: boolean;
  /** Sign with this secret instead of the configured one. */
  secret?: string;
  headers?: Record<string, string>;
}

export interface WebhookAnswer {
  status: number;
  body: Record<string, unknown>;
  deliveryId: string;
}

/** Signs and POSTs deliveries to the sandbox's /webhook, as GitHub's hookshot does. */
export class WebhookSender {
  inFlight = 0;
  /** Deliveries sent so far. */
  sent = 0;

  constructor(
    readonly url: string,
    private readonly secret: string,
  ) {}

  async send(event: string, payload: Record<string, unknown>, options: SendOptions = {}): Promise<WebhookAnswer> {
    const json = JSON.stringify(payload);
    const body = options.form ? `payload=${encodeURIComponent(json)}` : json;
    const deliveryId = options.deliveryId ?? randomUUID();
    return this.sendRaw(Buffer.from(body, 'utf8'), {
      'content-type': options.form ? 'application/x-www-form-urlencoded' : 'application/json',
      'x-github-event': event,
      'x-github-delivery': deliveryId,
      'x-github-hook-id': '1',
      'user-agent': 'GitHub-Hookshot/sandbox',
      'x-hub-signature-256': await sign(options.secret ?? this.secret, body),
      ...options.headers,
    }).then((answer) => ({ ...answer, deliveryId }));
  }

  /** POSTs exactly these bytes and headers (for malformed-delivery tests). */
  async sendRaw(body: Buffer, headers: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
    this.inFlight++;
    this.sent++;
    try {
      const response = await fetch(this.url, { method: 'POST', headers, body });
      const text = await response.text();
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(text) as Record<string, unknown>;
      } catch {
        parsed = { raw: text };
      }
      return { status: response.status, body: parsed };
    } finally {
      this.inFlight--;
    }
  }
}
