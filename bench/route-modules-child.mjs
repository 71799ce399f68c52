// Forked by a test: imports the bundle with module hooks that log every file it loads, handles
// one signed queued webhook, reports the files loaded so far, then handles the dispatch event the
// parent sends back and reports the files that loaded for it.
import { readFileSync } from 'node:fs';
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { signedWebhookEvent } from './webhook-event.mjs';

const [bundle, secret, jobId, logFile] = process.argv.slice(2);
register(new URL('./module-log-hooks.mjs', import.meta.url), { data: { logFile } });
const loadedSoFar = () => readFileSync(logFile, 'utf8').split('\n').filter(Boolean);
const send = (message) => new Promise((resolve) => process.send(message, resolve));

const { handler } = await import(pathToFileURL(bundle).href);
const body = JSON.stringify({
  action: 'queued',
  repository: { full_name: process.env.GITHUB_REPO },
  workflow_job: { id: Number(jobId), run_id: Number(jobId), run_attempt: 1, labels: ['self-hosted'], runner_name: null, conclusion: null },
});
const answer = await handler(signedWebhookEvent(body, secret));
const afterIngress = loadedSoFar();
process.once('message', async (event) => {
  let error;
  try {
    const outcome = await handler(event);
    // A stream batch answers with the records that failed (ReportBatchItemFailures).
    if (outcome?.batchItemFailures?.length) error = `records failed: ${JSON.stringify(outcome.batchItemFailures)}`;
  } catch (e) {
    error = String(e?.stack ?? e);
  }
  await send({ phase: 'dispatch', modules: loadedSoFar().slice(afterIngress.length), error });
  process.exit(0);
});
await send({ phase: 'ingress', status: answer.statusCode, modules: afterIngress });
