import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { sign } from '@octokit/webhooks-methods';
import { examplePayload, workflowJobPayload, type Sandbox } from '../../src/index.js';
import { request } from 'node:http';
import { randomUUID } from 'node:crypto';
import { nextJobId, startTestSandbox } from './harness.js';

/** API Gateway HTTP APIs refuse payloads over 10 MB (HTTP API quotas); so do the Lambda and the sandbox. */
const MAX_WEBHOOK_BODY_BYTES = 10 * 1024 * 1024;

/** DESIGN §8: every row of the webhook contract, and the bad inputs of issue 2, through the sandbox's HTTP endpoint. */
describe('POST /webhook contract', () => {
  let sandbox: Sandbox & { problems: string[] };
  const repo = 'octo-org/octo-repo';
  const queued = (labels: unknown[], id = nextJobId()) => workflowJobPayload('queued', repo, { id, runId: id - 1, labels });

  beforeAll(async () => {
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0', WEBHOOK_SECRETS: 'sandbox-webhook-secret\nprevious-secret' });
  });
  afterAll(() => sandbox.stop());

  async function expectNothingChanged(): Promise<void> {
    await sandbox.settle();
    expect(await sandbox.allRecords()).toEqual([]);
    expect(sandbox.ecs.tasksStarted).toBe(0);
  }

  async function rawDelivery(body: Buffer, headers: Record<string, string> = {}) {
    return sandbox.webhooks.sendRaw(body, {
      'content-type': 'application/json',
      'x-github-event': 'workflow_job',
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': await sign(sandbox.webhookSecret, body.toString('latin1') || ' '),
      ...headers,
    });
  }

  describe('refused deliveries change nothing', () => {
    beforeEach(async () => {
      expect(await sandbox.allRecords()).toEqual([]);
    });

    it('answers 401 when the signature header is missing', async () => {
      const answer = await sandbox.webhooks.send('workflow_job', queued(['self-hosted']), { headers: { 'x-hub-signature-256': '' } });
      expect(answer).toMatchObject({ status: 401, body: { status: 'error', reason: 'missing X-Hub-Signature-256 header' } });
      await expectNothingChanged();
    });

    it('answers 401 when the body was signed with another secret', async () => {
      const answer = await sandbox.webhooks.send('workflow_job', queued(['self-hosted']), { secret: 'not-the-secret' });
      expect(answer).toMatchObject({ status: 401, body: { status: 'error', reason: 'signature does not match' } });
      await expectNothingChanged();
    });

    it('answers 401 to a sha1= signature', async () => {
      const body = Buffer.from(JSON.stringify(queued(['self-hosted'])));
      const answer = await rawDelivery(body, { 'x-hub-signature-256': 'sha1=0123456789abcdef0123456789abcdef01234567' });
      expect(answer.status).toBe(401);
      expect(answer.body.reason).toMatch(/sha256=/);
      await expectNothingChanged();
    });

    it('answers 401 when one byte of a signed body was changed', async () => {
      const body = Buffer.from(JSON.stringify(queued(['self-hosted'])));
      const signature = await sign(sandbox.webhookSecret, body.toString('utf8'));
      body[body.length - 2] = body[body.length - 2] === 0x20 ? 0x21 : 0x20;
      const answer = await rawDelivery(body, { 'x-hub-signature-256': signature });
      expect(answer.status).toBe(401);
      await expectNothingChanged();
    });

    it('answers 400 to a signed body that is not JSON', async () => {
      const answer = await rawDelivery(Buffer.from('this is not json'));
      expect(answer).toMatchObject({ status: 400, body: { status: 'error', reason: 'body is not valid JSON' } });
      await expectNothingChanged();
    });

    it('answers 400 to an empty body', async () => {
      const answer = await rawDelivery(Buffer.alloc(0), { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` });
      expect(answer).toMatchObject({ status: 400, body: { reason: 'body is empty' } });
      await expectNothingChanged();
    });

    it('answers 400 to a body that is not valid UTF-8', async () => {
      const answer = await rawDelivery(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]));
      expect(answer).toMatchObject({ status: 400, body: { reason: 'body is not valid UTF-8' } });
      await expectNothingChanged();
    });

    it('answers 400 to a form-encoded body without a payload field', async () => {
      const answer = await rawDelivery(Buffer.from('other=1'), { 'content-type': 'application/x-www-form-urlencoded' });
      expect(answer).toMatchObject({ status: 400, body: { reason: 'form-encoded body has no "payload" field' } });
      await expectNothingChanged();
    });

    it('answers 400 when X-GitHub-Delivery or X-GitHub-Event is missing', async () => {
      const noDelivery = await sandbox.webhooks.send('workflow_job', queued(['self-hosted']), { headers: { 'x-github-delivery': '' } });
      expect(noDelivery).toMatchObject({ status: 400, body: { reason: 'missing X-GitHub-Delivery header' } });
      const noEvent = await sandbox.webhooks.send('workflow_job', queued(['self-hosted']), { headers: { 'x-github-event': '' } });
      expect(noEvent).toMatchObject({ status: 400, body: { reason: 'missing X-GitHub-Event header' } });
      await expectNothingChanged();
    });

    it('answers 400 when labels are not strings', async () => {
      const answer = await sandbox.webhooks.send('workflow_job', queued(['self-hosted', 42, { evil: true }]));
      expect(answer).toMatchObject({ status: 400, body: { reason: expect.stringContaining('workflow_job.labels') } });
      await expectNothingChanged();
    });

    it('answers 413 to a body over 10 MB, the most API Gateway passes on', async () => {
      const payload = queued(['self-hosted']);
      const padding = 'x'.repeat(MAX_WEBHOOK_BODY_BYTES - JSON.stringify({ ...payload, padding: '' }).length + 1);
      const answer = await sandbox.webhooks.send('workflow_job', { ...payload, padding });
      expect(answer).toMatchObject({ status: 413, body: { status: 'error', reason: expect.stringContaining('10485760') } });
      await expectNothingChanged();
    });

    it('refuses a streamed 11 MB body with 413 while reading it', async () => {
      const answer = await streamBody(sandbox.webhookUrl, 11 * 1024 * 1024);
      expect(answer.status).toBe(413);
      expect(answer.body).toMatchObject({ status: 'error', reason: expect.stringContaining('10485760') });
      await expectNothingChanged();
    });

    it('stops reading a streamed body at the limit: the process does not grow by what is offered', async () => {
      const offered = 200 * 1024 * 1024;
      const before = process.memoryUsage().rss;
      const answer = await streamBody(sandbox.webhookUrl, offered);
      const grownBy = process.memoryUsage().rss - before;
      // The figure for the report (rss moves with the garbage collector; the bound below is far from it).
      process.stdout.write(`streamed body: ${(answer.sent / 1048576).toFixed(1)} MB of ${offered / 1048576} MB sent before the 413; rss grew by ${(grownBy / 1048576).toFixed(1)} MB\n`);
      expect(answer.status).toBe(413);
      expect(answer.sent).toBeLessThan(offered);
      expect(grownBy).toBeLessThan(offered / 2);
      await expectNothingChanged();
    });

    it('answers 400 to an X-GitHub-Delivery longer than 128 characters, before anything is stored', async () => {
      for (const action of ['queued', 'in_progress'] as const) {
        for (const length of [129, 2048]) {
          const id = nextJobId();
          const payload = workflowJobPayload(action, repo, { id, runId: id - 1, labels: ['self-hosted'], runnerName: action === 'queued' ? null : `ecs-runner-${id}` });
          const answer = await sandbox.webhooks.send('workflow_job', payload, { deliveryId: 'a'.repeat(length) });
          expect(answer).toMatchObject({ status: 400, body: { status: 'error', reason: `X-GitHub-Delivery is ${length} characters; GitHub's delivery ids are GUIDs of at most 128` } });
        }
      }
      await expectNothingChanged();
    });

    it('answers 400 to an X-GitHub-Delivery that is not a GUID (hex digits and dashes)', async () => {
      for (const deliveryId of ['delivery#1', 'not-a-guid', '72d3162e cc78', '72d3162e-cc78-11e3-81ab-4c9367dc095\u00e9']) {
        const answer = await sandbox.webhooks.send('workflow_job', queued(['self-hosted']), { deliveryId });
        expect(answer).toMatchObject({ status: 400, body: { status: 'error', reason: 'X-GitHub-Delivery must be a GUID: hex digits and dashes' } });
      }
      await expectNothingChanged();
    });

    it('answers 400 to an X-GitHub-Event that is no GitHub event name, or longer than 64 characters', async () => {
      for (const event of ['Workflow_Job', 'workflow-job', 'workflow_job;drop', 'w'.repeat(65)]) {
        const answer = await sandbox.webhooks.send(event, queued(['self-hosted']));
        expect(answer).toMatchObject({ status: 400, body: { status: 'error', reason: expect.stringMatching(/^X-GitHub-Event /) } });
      }
      await expectNothingChanged();
    });

    it('ignores events other than workflow_job', async () => {
      const answer = await sandbox.webhooks.send('push', examplePayload('push'));
      expect(answer).toMatchObject({ status: 202, body: { status: 'ignored', reason: 'event "push" is not handled' } });
      await expectNothingChanged();
    });

    it('ignores a repository other than GITHUB_REPO', async () => {
      const id = nextJobId();
      const answer = await sandbox.webhooks.send('workflow_job', workflowJobPayload('queued', 'someone-else/repo', { id, runId: 1, labels: ['self-hosted'] }));
      expect(answer).toMatchObject({ status: 202, body: { status: 'ignored', reason: 'repository someone-else/repo is not served by this fleet' } });
      await expectNothingChanged();
    });

    it('ignores jobs with a label this fleet does not serve', async () => {
      const answer = await sandbox.webhooks.send('workflow_job', queued(['self-hosted', 'gpu']));
      expect(answer).toMatchObject({ status: 202, body: { status: 'ignored', reason: 'label "gpu" is not served by this fleet' } });
      await expectNothingChanged();
    });

    it('ignores a job with 101 labels, more than a runner can carry', async () => {
      const answer = await sandbox.webhooks.send('workflow_job', queued(Array.from({ length: 101 }, () => 'self-hosted')));
      expect(answer).toMatchObject({ status: 202, body: { status: 'ignored', reason: expect.stringContaining('101 labels') } });
      await expectNothingChanged();
    });

    it('ignores a workflow_job action it does not handle', async () => {
      const id = nextJobId();
      const answer = await sandbox.webhooks.send('workflow_job', workflowJobPayload('waiting', repo, { id, runId: 1, labels: ['self-hosted'] }));
      expect(answer).toMatchObject({ status: 202, body: { status: 'ignored', reason: 'action "waiting" is not handled' } });
      await expectNothingChanged();
    });

    it('answers 500 with a generic reason when the one write fails, and keeps nothing', async () => {
      sandbox.dynamoFaults.putItemFailures = 10;
      const answer = await sandbox.webhooks.send('workflow_job', queued(['self-hosted']));
      const failedAttempts = 10 - sandbox.dynamoFaults.putItemFailures;
      sandbox.dynamoFaults.putItemFailures = 0;
      expect(failedAttempts).toBeGreaterThan(0);
      expect(answer).toEqual(expect.objectContaining({ status: 500, body: { status: 'error', reason: 'internal error; the delivery was not accepted, redeliver it later' } }));
      await expectNothingChanged();
    });
  });

  describe('answered deliveries', () => {
    it('accepts a body of exactly 10 MB', async () => {
      const payload = queued(['self-hosted']);
      const padding = 'x'.repeat(MAX_WEBHOOK_BODY_BYTES - JSON.stringify({ ...payload, padding: '' }).length);
      const answer = await sandbox.webhooks.send('workflow_job', { ...payload, padding });
      expect(answer).toMatchObject({ status: 202, body: { status: 'accepted' } });
    });

    it('answers ping with pong, as JSON or form-encoded', async () => {
      expect(await sandbox.webhooks.send('ping', examplePayload('ping'))).toMatchObject({ status: 200, body: { status: 'pong' } });
      expect(await sandbox.webhooks.send('ping', examplePayload('ping'), { form: true })).toMatchObject({ status: 200, body: { status: 'pong' } });
    });

    it('accepts a queued job, and answers a redelivery of it as a duplicate', async () => {
      const payload = queued(['self-hosted', 'class:medium']);
      const first = await sandbox.webhooks.send('workflow_job', payload);
      const jobId = (payload.workflow_job as { id: number }).id;
      expect(first).toMatchObject({ status: 202, body: { status: 'accepted', runnerId: `ecs-runner-${jobId}` } });
      const again = await sandbox.webhooks.send('workflow_job', payload, { deliveryId: first.deliveryId });
      expect(again).toMatchObject({ status: 202, body: { status: 'duplicate' } });
    });

    it('accepts a form-encoded delivery and headers in any case', async () => {
      const payload = queued(['Self-Hosted', 'LINUX']);
      const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
      const answer = await sandbox.webhooks.sendRaw(Buffer.from(body), {
        'Content-Type': 'application/x-www-form-urlencoded',
        'X-GitHub-Event': 'workflow_job',
        'X-GITHUB-DELIVERY': randomUUID().toUpperCase(),
        'X-Hub-Signature-256': await sign(sandbox.webhookSecret, body),
      });
      expect(answer).toMatchObject({ status: 202, body: { status: 'accepted' } });
    });

    it('accepts deliveries signed with the previous secret during a rotation', async () => {
      const answer = await sandbox.webhooks.send('workflow_job', queued(['self-hosted']), { secret: 'previous-secret' });
      expect(answer).toMatchObject({ status: 202, body: { status: 'accepted' } });
    });

    it('records an unknown class as failed with a reason that names the label, and starts nothing', async () => {
      await sandbox.settle();
      const started = sandbox.ecs.tasksStarted;
      const id = nextJobId();
      const answer = await sandbox.webhooks.send('workflow_job', queued(['self-hosted', 'class:huge'], id));
      expect(answer).toMatchObject({ status: 202, body: { status: 'failed', runnerId: `ecs-runner-${id}` } });
      await sandbox.settle();
      expect(await sandbox.store.get(`ecs-runner-${id}`)).toMatchObject({
        status: 'failed',
        statusReason: 'label "class:huge" names an unknown class; known classes: large, medium, small',
      });
      expect(sandbox.ecs.tasksStarted).toBe(started);
    });

    it.each([['image:ubuntu;rm -rf /'], ['image:../../etc/passwd'], ['image:$(id)'], ['image:quay.io/x/y:1']])(
      'records %s as failed with a reason, and starts nothing',
      async (label) => {
        await sandbox.settle();
        const started = sandbox.ecs.tasksStarted;
        const id = nextJobId();
        const answer = await sandbox.webhooks.send('workflow_job', queued(['self-hosted', label], id));
        expect(answer).toMatchObject({ status: 202, body: { status: 'failed' } });
        await sandbox.settle();
        const record = await sandbox.store.get(`ecs-runner-${id}`);
        expect(record?.status).toBe('failed');
        expect(record?.statusReason).toMatch(/^label "image:/);
        expect(sandbox.ecs.tasksStarted).toBe(started);
      },
    );
  });
});

describe('POST /webhook with a source-IP allow-list (WEBHOOK_ALLOWED_CIDRS)', () => {
  const repo = 'octo-org/octo-repo';
  const queued = (id = nextJobId()) => workflowJobPayload('queued', repo, { id, runId: id - 1, labels: ['self-hosted'] });
  let sandbox: Sandbox | undefined;
  afterEach(async () => {
    await sandbox?.stop();
    sandbox = undefined;
  });

  it('answers 403 to a signed delivery from an address outside the list, and stores nothing', async () => {
    // GitHub's hook ranges only: the sandbox's deliveries come from 127.0.0.1.
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0', WEBHOOK_ALLOWED_CIDRS: '192.30.252.0/22,2606:50c0::/32' });
    const answer = await sandbox.webhooks.send('workflow_job', queued());
    expect(answer).toMatchObject({ status: 403, body: { status: 'error', reason: 'source address 127.0.0.1 is not in WEBHOOK_ALLOWED_CIDRS' } });
    await sandbox.settle();
    expect(await sandbox.allRecords()).toEqual([]);
    expect(sandbox.awsCalls['DynamoDB.PutItem'] ?? 0).toBe(0);
    expect(sandbox.ecs.tasksStarted).toBe(0);
  });

  it('accepts a delivery from an address inside the list', async () => {
    sandbox = await startTestSandbox({ SANDBOX_AUTOPILOT: '0', WEBHOOK_ALLOWED_CIDRS: '192.30.252.0/22,127.0.0.0/8' });
    const answer = await sandbox.webhooks.send('workflow_job', queued());
    expect(answer).toMatchObject({ status: 202, body: { status: 'accepted' } });
  });
});

/**
 * POSTs `size` bytes to `url` in 64 KB chunks made as they are sent (the sender never holds the
 * body), and stops sending once the answer arrives. Returns the answer and how much was sent.
 */
function streamBody(url: string, size: number): Promise<{ status: number; body: unknown; sent: number }> {
  const chunk = Buffer.alloc(64 * 1024, 0x78);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-event': 'workflow_job', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` } });
    req.on('response', (res) => {
      answered = true;
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('end', () => {
        req.destroy(); // the answer is in: stop sending, and close, as GitHub's sender would
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(parts).toString('utf8') || 'null'), sent });
      });
      res.on('error', reject);
    });
    // Once the server has answered and closed, the rest of the body cannot be written: that is expected.
    req.on('error', (error) => (answered ? undefined : reject(error)));
    const write = () => {
      while (!answered && sent < size) {
        const part = chunk.subarray(0, Math.min(chunk.length, size - sent));
        sent += part.length;
        if (!req.write(part)) return void req.once('drain', write);
      }
      if (!answered) req.end();
    };
    write();
  });
}
