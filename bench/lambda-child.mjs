// Forked by bundle.bench.ts: plays the Lambda. Imports the built bundle once, then handles each
// event the parent sends (a webhook payload to sign and wrap as API Gateway does, or a stream batch)
// and answers with the CPU and wall time this process spent in the handler.
import { signedWebhookEvent } from './webhook-event.mjs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const [bundle, secret] = process.argv.slice(2);
const { handler } = await import(pathToFileURL(bundle).href);


process.on('message', async ({ id, webhookBody, lambdaEvent }) => {
  // The signed event is built before the clock starts: API Gateway hands the Lambda a ready event.
  const event = webhookBody === undefined ? lambdaEvent : signedWebhookEvent(webhookBody, secret);
  const startedAt = performance.timeOrigin + performance.now();
  const cpu = process.cpuUsage();
  const wall = performance.now();
  let status;
  let error;
  try {
    const answer = await handler(event);
    status = answer?.statusCode;
    // A stream batch answers with the records that failed (ReportBatchItemFailures).
    if (answer?.batchItemFailures?.length) error = `records failed: ${JSON.stringify(answer.batchItemFailures)}`;
  } catch (e) {
    error = String(e?.stack ?? e);
  }
  const wallMs = performance.now() - wall;
  const used = process.cpuUsage(cpu);
  process.send({ id, startedAt, wallMs, cpuMs: (used.user + used.system) / 1000, status, error });
});
process.send({ ready: true });
