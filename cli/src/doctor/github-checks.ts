import { parseGitHubAuth } from '@runner-fleet/lambda/github-auth';
import type { DoctorContext } from './context.js';
import { connectGitHub, type GitHubApi } from './github-api.js';
import { errorResult, fail, pass, warn, type CheckResult } from './result.js';
import { judgeRunnerVersion, type RunnerRelease } from './runner-version.js';

const NEEDS_DESCRIPTOR = 'needs the fleet descriptor: export ECSRUNNER_FLEET=<name_prefix> (or pass --fleet)';

/** Reads GITHUB_AUTH_PARAM (decrypted, as the Lambda does) and connects with it. */
export async function connectWithFleetCredential(ctx: DoctorContext): Promise<GitHubApi> {
  const d = ctx.descriptor!;
  const { GetParameterCommand } = await import('@aws-sdk/client-ssm');
  const value = (await (await ctx.fleet.ssm()).send(new GetParameterCommand({ Name: d.githubAuthParam, WithDecryption: true }))).Parameter?.Value ?? '';
  return connectGitHub(parseGitHubAuth(value), d.github.apiUrl, d.github.repo);
}

interface Hook {
  id: number;
  active: boolean;
  events: string[];
  config: { url?: string; content_type?: string };
}
interface Delivery {
  id: number;
  delivered_at: string;
  status: string;
  status_code: number;
  event: string;
  action: string | null;
}

/** The credential works and may manage runners; the webhook exists for the fleet's URL; its last deliveries succeeded. */
export async function checkGitHub(ctx: DoctorContext): Promise<CheckResult[]> {
  const d = ctx.descriptor;
  if (!d) return [warn('github-credential', `Not checked: ${NEEDS_DESCRIPTOR}.`)];
  const repo = d.github.repo;
  let api: GitHubApi;
  try {
    api = await ctx.github();
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status === 401 || status === 403 || status === 404) return [fail('github-credential', `The fleet's GitHub credential (${d.githubAuthParam}) is refused: ${(error as Error).message}; put a valid PAT or App key in the parameter (terraform apply with github_pat / github_app).`)];
    return [errorResult('github-credential', `Reading the GitHub credential from ${d.githubAuthParam}`, error)];
  }

  const results: CheckResult[] = [];
  const repository = await api.get<{ permissions?: Record<string, boolean>; message?: string }>(`/repos/${repo}`);
  if (repository.status === 401) return [fail('github-credential', `GitHub refuses the fleet's credential (${d.githubAuthParam}: 401 Bad credentials): the token expired or was revoked; store a new one (terraform apply with github_pat / github_app).`)];
  if (repository.status !== 200) return [fail('github-credential', `The fleet's credential cannot see ${repo} (GET /repos/${repo} answered ${repository.status}): grant it access to the repository.`)];
  const missing = api.kind === 'app'
    ? [api.permissions?.administration !== 'write' && 'Administration: read and write', !['read', 'write'].includes(api.permissions?.actions ?? '') && 'Actions: read'].filter(Boolean)
    : [repository.body.permissions?.admin !== true && 'admin on the repository (fine-grained: Administration: read and write)'].filter(Boolean);
  if (missing.length) results.push(fail('github-credential', `The fleet's ${api.kind === 'app' ? 'GitHub App' : 'PAT'} lacks ${missing.join(' and ')} on ${repo}, which registering runners needs: grant it (README, "Deploy to AWS").`, { missing }));
  else results.push(pass('github-credential', `The fleet's ${api.kind === 'app' ? 'GitHub App' : 'PAT'} works on ${repo} and may manage its runners.`));

  const hooks = await api.get<Hook[]>(`/repos/${repo}/hooks?per_page=100`);
  if (hooks.status === 403 || hooks.status === 404) {
    results.push(warn('webhook', `The fleet's credential may not read ${repo}'s webhooks (${hooks.status}); grant it "Webhooks: read" to let the doctor check them, or check Settings → Webhooks yourself for ${d.webhookUrl}.`));
    return results;
  }
  if (hooks.status !== 200) {
    results.push(fail('webhook', `GET /repos/${repo}/hooks answered ${hooks.status}: try again, or check Settings → Webhooks for ${d.webhookUrl}.`));
    return results;
  }
  const hook = hooks.body.find((h) => h.config?.url === d.webhookUrl);
  if (!hook) {
    results.push(fail('webhook', `${repo} has no webhook for ${d.webhookUrl}, so no job reaches the fleet: add one (Settings → Webhooks → Add webhook: that payload URL, content type application/json, the webhook secret, event "Workflow jobs").`, { hooks: hooks.body.map((h) => h.config?.url) }));
    return results;
  }
  const problems = [!hook.active && 'it is inactive', !(hook.events.includes('workflow_job') || hook.events.includes('*')) && `its events (${hook.events.join(', ')}) leave out workflow_job`].filter(Boolean);
  if (problems.length) {
    results.push(fail('webhook', `The webhook for ${d.webhookUrl} (id ${hook.id}) is there but ${problems.join(' and ')}: edit it in Settings → Webhooks (active, event "Workflow jobs").`, { hookId: hook.id }));
    return results;
  }
  results.push(pass('webhook', `Webhook ${hook.id} sends workflow_job events to ${d.webhookUrl}.`, { hookId: hook.id }));
  results.push(await checkDeliveries(api, repo, hook.id));
  return results;
}

/** Hints by the status the fleet answered a delivery with (DESIGN §8). */
function deliveryHint(code: number): string {
  if (code === 401) return 'the webhook secret in GitHub differs from the fleet\'s (webhook_secret): set the same secret on both sides';
  if (code === 400 || code === 415) return 'the webhook sends a body the fleet cannot read: set its content type to application/json';
  if (code === 413) return 'the payloads are too large for API Gateway';
  if (code >= 500) return 'the control plane failed: see the lambda-errors check and its logs, then redeliver the failed deliveries';
  if (code === 0) return 'GitHub could not reach the payload URL (DNS, TLS or a timeout): check the URL and that the API is deployed';
  return 'see the delivery in Settings → Webhooks → Recent deliveries';
}

async function checkDeliveries(api: GitHubApi, repo: string, hookId: number): Promise<CheckResult> {
  const answer = await api.get<Delivery[]>(`/repos/${repo}/hooks/${hookId}/deliveries?per_page=30`);
  if (answer.status !== 200) return warn('webhook-deliveries', `GET …/hooks/${hookId}/deliveries answered ${answer.status}: check Recent deliveries in Settings → Webhooks yourself.`);
  const deliveries = [...answer.body].sort((a, b) => b.delivered_at.localeCompare(a.delivered_at));
  if (deliveries.length === 0) return warn('webhook-deliveries', `The webhook has delivered nothing yet: run a workflow with runs-on: [self-hosted] (or press "Redeliver" on its ping) to see one arrive.`);
  const ok = (d: Delivery) => d.status_code >= 200 && d.status_code < 300;
  const failed = deliveries.filter((d) => !ok(d));
  const latest = deliveries[0]!;
  const details = { checked: deliveries.length, failed: failed.length, latest: { id: latest.id, deliveredAt: latest.delivered_at, statusCode: latest.status_code, event: latest.event } };
  if (!ok(latest)) return fail('webhook-deliveries', `The latest delivery (${latest.event}${latest.action ? `.${latest.action}` : ''}, ${latest.delivered_at}) failed with ${latest.status_code || latest.status}, ${failed.length} of the last ${deliveries.length} failed: ${deliveryHint(latest.status_code)}.`, details);
  if (failed.length) return warn('webhook-deliveries', `${failed.length} of the last ${deliveries.length} deliveries failed (latest failure ${failed[0]!.status_code || failed[0]!.status} at ${failed[0]!.delivered_at}) but the latest succeeded: ${deliveryHint(failed[0]!.status_code)}.`, details);
  return pass('webhook-deliveries', `The last ${deliveries.length} deliveries all succeeded.`, details);
}

/** The runner version the images install, against actions/runner's releases. */
export async function checkRunnerVersion(ctx: DoctorContext): Promise<CheckResult> {
  const d = ctx.descriptor;
  if (!d) return warn('runner-version', `Not checked: ${NEEDS_DESCRIPTOR}.`);
  try {
    // The 100 newest releases: a pin older than all of them is far past the window anyway.
    const releases = await (await ctx.github()).get<RunnerRelease[]>('/repos/actions/runner/releases?per_page=100');
    if (releases.status !== 200 || !Array.isArray(releases.body)) return warn('runner-version', `Could not read actions/runner's releases (${releases.status}): compare ${d.runnerVersion} with https://github.com/actions/runner/releases yourself.`);
    return judgeRunnerVersion(d.runnerVersion, releases.body, ctx.now);
  } catch (error) {
    return warn('runner-version', `Could not reach GitHub for actions/runner's releases (${(error as Error).message}): compare ${d.runnerVersion} with https://github.com/actions/runner/releases yourself.`);
  }
}
