import { performance } from 'node:perf_hooks';
// Run by control-plane.bench.ts in a fresh process: import the bundle, then
// handle one signed queued webhook; prints how long each step took (and the CPU both used), as JSON.
import { signedWebhookEvent } from './webhook-event.mjs';

const [bundle, secret, jobId] = process.argv.slice(2);
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const { handler } = await import(bundle);
const imported = performance.now();
const body = JSON.stringify({
  action: 'queued',
  repository: { full_name: process.env.GITHUB_REPO },
  workflow_job: { id: Number(jobId), run_id: 1, run_attempt: 1, labels: ['self-hosted'], runner_name: null, conclusion: null },
});
const result = await handler(signedWebhookEvent(body, secret));
const handled = performance.now();
const cpu = process.cpuUsage(cpu0);
process.stdout.write(JSON.stringify({ importMs: imported - t0, firstEventMs: handled - imported, cpuMs: (cpu.user + cpu.system) / 1000, status: result.statusCode }));
