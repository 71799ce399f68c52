// Forked by bundle.bench.ts: plays the Lambda. Imports the built bundle once, then handles each
// event the parent sends (a webhook payload to sign and wrap as API Gateway does, or a bus event)
// and answers with the CPU and wall time this process spent in the handler.
import { signedWebhookEvent } from './webhook-event.mjs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const [bundle, secret] = process.argv.slice(2);
const { handler } = await import(pathToFileURL(bundle).href);


process.on('message', async ({ id, webhookBody, busEvent }) => {
  // The signed event is built before the clock starts: API Gateway hands the Lambda a ready event.
  const event = webhookBody === undefined ? busEvent : signedWebhookEvent(webhookBody, secret);
  const startedAt = performance.timeOrigin + performance.now();
  const cpu = process.cpuUsage();
  const wall = performance.now();
  let status;
  let error;
  try {
    status = (await handler(event))?.statusCode;
  } catch (e) {
    error = String(e?.stack ?? e);
  }
  const wallMs = performance.now() - wall;
  const used = process.cpuUsage(cpu);
  process.send({ id, startedAt, wallMs, cpuMs: (used.user + used.system) / 1000, status, error });
});
process.send({ ready: true });
