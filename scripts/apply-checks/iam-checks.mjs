// Least privilege, on the real policies: every AWS call the control plane made in the sandbox
// (SANDBOX_AWS_CALL_LOG, written by `npm run test:integration` and `test:integration:bundle`), and
// what Lambda, ECS and CodeBuild do with the fleet's roles, is simulated against the IAM policies of
// an applied configuration (`terraform show -json`) with @cloud-copilot/iam-simulate: each must be
// allowed, each must-deny sample denied, and every action a role is granted must be needed by one of
// its calls (an unused grant is a finding too).
// Standalone: node scripts/apply-checks/iam-checks.mjs <state.json> [call-log.jsonl]
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readDeployment } from './deployment.mjs';
import { mustDeny, requestsForCall, serviceRequests } from './iam-requests.mjs';

export const DEFAULT_CALL_LOG = '.artifacts/control-plane-aws-calls.jsonl';
// What an operator may attach to the runner role (runner_task_policy_arns), e.g. AWS's ReadOnlyAccess:
// the role's own denies must still keep the fleet's secrets and the pending JIT configs out of reach.
const BROAD_READ = { name: 'broad-read-access (as attached by an operator)', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ssm:Get*', 'ssm:Describe*', 'ssm:List*', 'ecs:Describe*', 'ecs:List*', 'kms:Decrypt'], Resource: '*' }] } };
const IMAGE_BUILD_CALLS = new Set(['CodeBuild.StartBuild', 'CodeBuild.BatchGetBuilds', 'ECS.RegisterTaskDefinition', 'ECS.DescribeTaskDefinition']);

export function readCallLog(file) {
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: it is written by "npm run test:integration" (SANDBOX_AWS_CALL_LOG), which records the control plane's AWS calls; run it first`);
  }
  const sandboxes = new Map();
  const calls = [];
  // The simulated runners' entrypoint signs with the task role's credentials (its JIT config's read and delete).
  const runnerCalls = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const entry = JSON.parse(line);
    if (entry.type === 'sandbox') sandboxes.set(entry.sandbox, entry);
    else if (entry.type === 'call' && entry.principal === 'control-plane') calls.push(entry);
    else if (entry.type === 'call' && entry.principal === 'runner-task') runnerCalls.push(entry);
  }
  if (calls.length === 0) throw new Error(`${file} holds no call of the control plane: the recording did not happen`);
  return { sandboxes, calls, runnerCalls };
}

/** The recorded calls that can happen in deployment `d`: with image builds off, only runs that had them off. */
function applicableCalls({ sandboxes }, calls, d) {
  return calls.filter((call) => {
    const sandbox = sandboxes.get(call.sandbox);
    if (!sandbox) throw new Error(`call log: a call of sandbox ${call.sandbox} precedes its sandbox line`);
    return d.project ? true : !sandbox.controlPlaneEnv.IMAGE_BUILD_PROJECT;
  });
}

function unique(requests) {
  const seen = new Map();
  for (const r of requests) {
    const key = JSON.stringify([r.action, r.resource, r.context]);
    if (!seen.has(key)) seen.set(key, r);
  }
  return [...seen.values()];
}

function resourcePolicyFor(request, d) {
  if (request.action.startsWith('kms:') && d.key && request.resource === d.key.arn) return d.key.policy;
  if (request.action.startsWith('sqs:') && request.resource === d.queue.arn) return d.queue.policy;
  return undefined;
}

// iam-simulate 0.1.x files a key with its variable after a colon (kms:EncryptionContext:<key>) under
// the spec's literal name, so a condition on it never matches. The same test under the name of a
// slash-variable global key (which it handles) keeps the policy's meaning: one string, matched by
// the same operator against the same value.
const ENCRYPTION_CONTEXT = /^kms:EncryptionContext:(.+)$/i;
const portableKey = (key) => key.replace(ENCRYPTION_CONTEXT, (_, name) => `aws:RequestTag/kms-encryption-context-${name}`);

function portablePolicy(policy) {
  const statements = [policy.Statement].flat().map((statement) => {
    if (!statement.Condition) return statement;
    const condition = Object.fromEntries(Object.entries(statement.Condition).map(([operator, tests]) => [operator, Object.fromEntries(Object.entries(tests).map(([key, value]) => [portableKey(key), value]))]));
    return { ...statement, Condition: condition };
  });
  return { ...policy, Statement: statements };
}

const portableContext = (context) => Object.fromEntries(Object.entries(context).map(([key, value]) => [portableKey(key), value]));

/** iam-simulate's decision for one request by `role` in deployment `d` (with the key's or queue's policy). */
export async function decide(role, request, d) {
  const resourcePolicy = resourcePolicyFor(request, d);
  const response = await runSimulation(
    {
      identityPolicies: role.policies.map((p) => ({ ...p, policy: portablePolicy(p.policy) })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: resourcePolicy && portablePolicy(resourcePolicy),
      request: { action: request.action, principal: role.session, resource: { accountId: d.account, resource: request.resource }, contextVariables: portableContext(request.context) },
    },
    {},
  );
  if (response.resultType === 'error') throw new Error(`iam-simulate refused ${request.action} on ${request.resource}: ${JSON.stringify(response.errors)}`);
  return response.overallResult;
}

/** Every action an Allow statement of the role grants (the module's policies name actions without wildcards). */
function grantedActions(role) {
  const actions = new Set();
  for (const { policy } of role.policies) {
    for (const statement of [policy.Statement].flat()) {
      if (statement.Effect !== 'Allow') continue;
      for (const action of [statement.Action].flat()) actions.add(action.toLowerCase());
    }
  }
  return actions;
}

/** Runs the checks for one applied configuration; returns one row per role, throws listing every finding. */
export async function iamChecks({ state, callLog }) {
  const d = readDeployment(state);
  const recorded = applicableCalls(callLog, callLog.calls, d);
  const recordedRunner = applicableCalls(callLog, callLog.runnerCalls ?? [], d);
  if (d.env.JIT_PARAMETER_PATH && recordedRunner.length === 0) throw new Error('the call log holds no call of a runner task: the JIT config path (read and delete at start-up) would go unchecked');
  const byService = serviceRequests(d);
  const denials = mustDeny(d);
  const expected = {
    controlPlane: unique([...recorded.filter((c) => d.project || !IMAGE_BUILD_CALLS.has(`${c.service}.${c.operation}`)).flatMap((call) => requestsForCall(call, callLog.sandboxes.get(call.sandbox), d)), ...byService.controlPlane]),
    taskExecution: byService.taskExecution,
    runnerTask: unique(recordedRunner.flatMap((call) => requestsForCall(call, callLog.sandboxes.get(call.sandbox), d))),
    imageBuild: byService.imageBuild,
  };
  const findings = [];
  const rows = [];
  for (const [key, role] of Object.entries(d.roles)) {
    const allowed = expected[key] ?? [];
    for (const request of allowed) {
      const result = await decide(role, request, d);
      if (result !== 'Allowed') findings.push(`${role.name} (${role.purpose}) cannot ${request.action} on ${request.resource} (${result}), which ${request.source} needs`);
    }
    for (const request of denials[key] ?? []) {
      const result = await decide(request.withBroadRead ? { ...role, policies: [...role.policies, BROAD_READ] } : role, request, d);
      if (result === 'Allowed') findings.push(`${role.name} (${role.purpose}) may ${request.action} on ${request.resource}: it must not (${request.source})`);
    }
    const needed = new Set(allowed.map((r) => r.action.toLowerCase()));
    const unused = [...grantedActions(role)].filter((action) => !needed.has(action));
    for (const action of unused) findings.push(`${role.name} (${role.purpose}) is granted ${action}, which none of its recorded or service calls needs`);
    rows.push({ role: role.name, allowed: allowed.length, denied: (denials[key] ?? []).length, grants: grantedActions(role).size });
  }
  if (findings.length) throw new Error(`least-privilege findings:\n  - ${findings.join('\n  - ')}`);
  return { rows, calls: recorded.length, runnerCalls: recordedRunner.length };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [stateFile, logFile = DEFAULT_CALL_LOG] = process.argv.slice(2);
  const result = await iamChecks({ state: JSON.parse(readFileSync(stateFile, 'utf8')), callLog: readCallLog(logFile) });
  console.log(`${result.calls} recorded calls`);
  console.table(result.rows);
}
