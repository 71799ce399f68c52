/**
 * `npm run sandbox:send -- <action> [options]`: sends one signed workflow_job
 * webhook to a running sandbox, as GitHub would.
 *
 *   queued      --labels self-hosted,class:medium [--job-id N]
 *   in_progress --job-id N --runner NAME
 *   completed   --job-id N [--runner NAME] [--conclusion success|failure|cancelled]
 *   ping
 *
 * Options: --url (default http://127.0.0.1:${PORT:-8787}/webhook), --secret
 * (default $WEBHOOK_SECRET or the sandbox default), --repo (default
 * $GITHUB_REPO or octo-org/octo-repo), --form (form-encoded delivery).
 */
import { parseArgs } from 'node:util';
import { CONTROL_PLANE_DEFAULTS, DEFAULT_WEBHOOK_SECRET } from './defaults.js';
import { examplePayload, WebhookSender, workflowJobPayload } from './github/webhooks.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    labels: { type: 'string', default: 'self-hosted' },
    'job-id': { type: 'string' },
    'run-id': { type: 'string' },
    runner: { type: 'string' },
    conclusion: { type: 'string', default: 'success' },
    url: { type: 'string', default: `http://127.0.0.1:${process.env.PORT ?? '8787'}/webhook` },
    secret: { type: 'string', default: process.env.WEBHOOK_SECRET ?? DEFAULT_WEBHOOK_SECRET },
    repo: { type: 'string', default: process.env.GITHUB_REPO ?? CONTROL_PLANE_DEFAULTS.GITHUB_REPO },
    form: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

const action = positionals[0];
const usage = 'usage: npm run sandbox:send -- <queued|in_progress|completed|ping> [--labels a,b] [--job-id N] [--runner NAME] [--conclusion C] [--url U] [--secret S] [--repo owner/name] [--form]';
if (values.help || !action) {
  console.log(usage);
  process.exit(values.help ? 0 : 2);
}
if (!['queued', 'in_progress', 'completed', 'ping'].includes(action)) {
  console.error(`unknown action "${action}"\n${usage}`);
  process.exit(2);
}
if (action !== 'queued' && action !== 'ping' && !values['job-id']) {
  console.error(`${action} needs --job-id (the id printed when the job was queued)`);
  process.exit(2);
}

const jobId = Number(values['job-id'] ?? Date.now() % 1_000_000_000);
const sender = new WebhookSender(values.url!, values.secret!);
try {
  const answer =
    action === 'ping'
      ? await sender.send('ping', examplePayload('ping'), { form: values.form })
      : await sender.send(
          'workflow_job',
          workflowJobPayload(action as 'queued', values.repo!, {
            id: jobId,
            runId: Number(values['run-id'] ?? jobId - 1),
            labels: values.labels!.split(',').map((l) => l.trim()).filter(Boolean),
            runnerName: values.runner ?? null,
            conclusion: values.conclusion,
          }),
          { form: values.form },
        );
  console.log(`job ${jobId}: ${action} → HTTP ${answer.status} ${JSON.stringify(answer.body)} (delivery ${answer.deliveryId})`);
  process.exit(answer.status < 300 ? 0 : 1);
} catch (error) {
  console.error(`could not reach ${values.url}: ${(error as Error).message}. Is the sandbox running (npm start)?`);
  process.exit(1);
}
