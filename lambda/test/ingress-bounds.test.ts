import { describe, expect, it } from '@jest/globals';
import { sign } from '@octokit/webhooks-methods';
import type { RunnerStore } from '@runner-fleet/core';
import { ingress } from '../src/routes/ingress.js';
import { MAX_BODY_BYTES } from '../src/webhook/body.js';
import { config, makeDeps } from './support/fixtures.js';

/** A store that fails the test on any call: bad input must be refused before anything is stored. */
const untouchableStore = new Proxy({} as RunnerStore, {
  get: (_target, name) => {
    throw new Error(`the store was used (${String(name)}) for a delivery that should have been refused`);
  },
});

const queuedBody = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    action: 'queued',
    repository: { full_name: 'octo-org/octo-repo' },
    workflow_job: { id: 77, run_id: 76, labels: ['self-hosted'], runner_name: null, conclusion: null },
    ...extra,
  });

async function deliver(body: string, headers: Record<string, string> = {}, from: { sourceIp?: string; allowedCidrs?: string[] } = {}) {
  const deps = makeDeps(untouchableStore, { now: new Date('2026-12-04T03:00:00Z') }, {
    config: { ...config, webhookAllowedCidrs: from.allowedCidrs ?? [] },
    bus: { publish: async () => Promise.reject(new Error('bus used')), publishAll: async () => Promise.reject(new Error('bus used')) },
  });
  return ingress(
    {
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'workflow_job',
        'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
        'x-hub-signature-256': await sign('secret', body),
        ...headers,
      },
      body: Buffer.from(body, 'utf8'),
      sourceIp: from.sourceIp,
    },
    deps,
  );
}

describe('webhook input bounds, checked before anything is stored', () => {
  it('answers 413 to a body over 10 MB', async () => {
    const base = queuedBody({ padding: '' });
    const answer = await deliver(queuedBody({ padding: 'x'.repeat(MAX_BODY_BYTES - base.length + 1) }));
    expect(MAX_BODY_BYTES).toBe(10 * 1024 * 1024);
    expect(answer).toEqual({ statusCode: 413, body: { status: 'error', reason: `body is ${MAX_BODY_BYTES + 1} bytes; the limit is ${MAX_BODY_BYTES} (API Gateway's HTTP API payload limit, 10 MB)` } });
  });

  it.each([
    ['129 characters', 'a'.repeat(129), "X-GitHub-Delivery is 129 characters; GitHub's delivery ids are GUIDs of at most 128"],
    ['2 KB (over DynamoDB’s key limit)', 'b'.repeat(2048), "X-GitHub-Delivery is 2048 characters; GitHub's delivery ids are GUIDs of at most 128"],
    ['a key separator', 'delivery#1', 'X-GitHub-Delivery must be a GUID: hex digits and dashes'],
    ['a space', '72d3162e cc78', 'X-GitHub-Delivery must be a GUID: hex digits and dashes'],
  ])('answers 400 to an X-GitHub-Delivery with %s', async (_case, deliveryId, reason) => {
    expect(await deliver(queuedBody(), { 'x-github-delivery': deliveryId })).toEqual({ statusCode: 400, body: { status: 'error', reason } });
  });

  it.each([
    ['upper-case letters', 'Workflow_Job', 'X-GitHub-Event must be a GitHub event name: lower-case letters, digits and underscores'],
    ['a dash', 'workflow-job', 'X-GitHub-Event must be a GitHub event name: lower-case letters, digits and underscores'],
    ['65 characters', 'w'.repeat(65), "X-GitHub-Event is 65 characters; GitHub's event names are at most 64"],
  ])('answers 400 to an X-GitHub-Event with %s', async (_case, event, reason) => {
    expect(await deliver(queuedBody(), { 'x-github-event': event })).toEqual({ statusCode: 400, body: { status: 'error', reason } });
  });

  it('accepts the longest delivery id and event name allowed (the bounds are not off by one)', async () => {
    const pong = await deliver(JSON.stringify({ zen: 'Keep it logically awesome.' }), { 'x-github-event': 'ping', 'x-github-delivery': 'f'.repeat(128) });
    expect(pong).toEqual({ statusCode: 200, body: { status: 'pong' } });
    const ignored = await deliver(JSON.stringify({ action: 'created' }), { 'x-github-event': 'e'.repeat(64), 'x-github-delivery': `${'F-0'.repeat(42)}ab` });
    expect(ignored).toEqual({ statusCode: 202, body: { status: 'ignored', reason: `event "${'e'.repeat(64)}" is not handled` } });
  });
});

describe('the source-IP allow-list (WEBHOOK_ALLOWED_CIDRS), checked before the signature', () => {
  const allowedCidrs = ['192.30.252.0/22', '2606:50c0::/32'];
  const ping = JSON.stringify({ zen: 'Design for failure.' });

  it('answers 403 to an address outside the list, signed or not, and stores nothing', async () => {
    const signed = await deliver(queuedBody(), {}, { sourceIp: '203.0.113.9', allowedCidrs });
    expect(signed).toEqual({ statusCode: 403, body: { status: 'error', reason: 'source address 203.0.113.9 is not in WEBHOOK_ALLOWED_CIDRS' } });
    const unsigned = await deliver(queuedBody(), { 'x-hub-signature-256': '' }, { sourceIp: '2001:db8::1', allowedCidrs });
    expect(unsigned).toEqual({ statusCode: 403, body: { status: 'error', reason: 'source address 2001:db8::1 is not in WEBHOOK_ALLOWED_CIDRS' } });
  });

  it('answers 403 when the list is on and API Gateway gave no source address', async () => {
    expect((await deliver(ping, { 'x-github-event': 'ping' }, { allowedCidrs })).statusCode).toBe(403);
  });

  it('lets an address inside the list (IPv4 or IPv6) on to the signature check', async () => {
    expect(await deliver(ping, { 'x-github-event': 'ping' }, { sourceIp: '192.30.252.41', allowedCidrs })).toEqual({ statusCode: 200, body: { status: 'pong' } });
    expect(await deliver(ping, { 'x-github-event': 'ping' }, { sourceIp: '2606:50c0:8001::153', allowedCidrs })).toEqual({ statusCode: 200, body: { status: 'pong' } });
    const unsigned = await deliver(ping, { 'x-github-event': 'ping', 'x-hub-signature-256': '' }, { sourceIp: '192.30.252.41', allowedCidrs });
    expect(unsigned).toEqual({ statusCode: 401, body: { status: 'error', reason: 'missing X-Hub-Signature-256 header' } });
  });

  it('admits any address when the list is empty (the default)', async () => {
    expect(await deliver(ping, { 'x-github-event': 'ping' }, { sourceIp: '203.0.113.9' })).toEqual({ statusCode: 200, body: { status: 'pong' } });
  });
});
