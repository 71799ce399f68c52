// The IAM requests (action, resource ARN, condition context) behind AWS calls, for a deployment read by
// deployment.mjs. Three sources: the control plane's and the runner tasks' calls recorded by the sandbox
// (SANDBOX_AWS_CALL_LOG, translated from the sandbox's names to the deployment's by the setting that
// names each resource, DESIGN §7), what AWS services do with the fleet's roles on their own (Lambda
// writing logs and dead letters, ECS pulling the image), and must-deny samples.

/** A recorded call the translation cannot place on one of the fleet's resources: itself a finding. */
export class UnknownResourceError extends Error {}

const arn = (d, service, resource, { region = d.region, account = d.account } = {}) => `arn:aws:${service}:${region}:${account}:${resource}`;

function translator(sandbox, d) {
  const s = sandbox.controlPlaneEnv;
  const fail = (call, what, value) => {
    throw new UnknownResourceError(`a recorded call (${call.principal}) made ${call.service}.${call.operation} on ${what} "${value}", which is none of the fleet's resources in the sandbox's settings`);
  };
  const repositoryName = (url) => url.split('/').slice(1).join('/');
  return {
    table(call, name) {
      if (name !== s.RUNNER_TABLE) fail(call, 'table', name);
      return d.table.arn;
    },
    // One of the three named parameters, or a runner's JIT config under the JIT path (both sides' own path).
    parameter(call, name) {
      const setting = ['CLASS_SIZES_PARAM', 'GITHUB_AUTH_PARAM', 'WEBHOOK_SECRET_PARAM'].find((k) => s[k] === name);
      if (setting) {
        const parameter = d.parameters.find((p) => p.name === d.env[setting]);
        if (!parameter) throw new Error(`the deployment has no parameter ${d.env[setting]} (${setting})`);
        return { arn: parameter.arn, type: parameter.type, keyId: parameter.key_id };
      }
      const sandboxJitPath = s.JIT_PARAMETER_PATH || `/${s.RUNNER_NAME_PREFIX}/jit`;
      if (String(name).startsWith(`${sandboxJitPath}/`)) {
        if (!d.env.JIT_PARAMETER_PATH) throw new Error('the deployment sets no JIT_PARAMETER_PATH, yet the control plane stores JIT configs');
        return { arn: arn(d, 'ssm', `parameter${d.env.JIT_PARAMETER_PATH}${String(name).slice(sandboxJitPath.length)}`), type: 'SecureString', keyId: d.env.JIT_KMS_KEY_ID || undefined };
      }
      return fail(call, 'parameter', name);
    },
    bus(call, name) {
      if (name === 'default' || name === undefined) return arn(d, 'events', 'event-bus/default');
      if (name !== s.EVENT_BUS_NAME && !name.endsWith(`:event-bus/${s.EVENT_BUS_NAME}`)) fail(call, 'event bus', name);
      return d.bus.arn;
    },
    cluster(call, value) {
      if (value !== s.ECS_CLUSTER && !String(value).endsWith(`:cluster/${s.ECS_CLUSTER}`)) fail(call, 'cluster', value);
      return d.cluster.arn;
    },
    taskDefinition(call, value) {
      const [family, revision = '1'] = String(value).replace(/^arn:[^/]+\//, '').split(':');
      if (family === s.RUNNER_TASK_DEFINITION) return arn(d, 'ecs', `task-definition/${d.env.RUNNER_TASK_DEFINITION}:${revision}`);
      if (family.startsWith(`${s.RUNNER_TASK_DEFINITION}-`)) return arn(d, 'ecs', `task-definition/${d.env.RUNNER_TASK_DEFINITION}${family.slice(s.RUNNER_TASK_DEFINITION.length)}:${revision}`);
      return fail(call, 'task definition', value);
    },
    task(call, value) {
      const parts = String(value).split('/');
      if (parts.length > 1 && parts.at(-2) !== s.ECS_CLUSTER) fail(call, 'task', value);
      return arn(d, 'ecs', `task/${d.cluster.name}/${parts.at(-1)}`);
    },
    repository(call, name) {
      if (name !== repositoryName(s.ECR_REPOSITORY_URL)) fail(call, 'repository', name);
      return d.repository.arn;
    },
    project(call, value) {
      const name = String(value).split(':')[0];
      if (!s.IMAGE_BUILD_PROJECT || name !== s.IMAGE_BUILD_PROJECT) fail(call, 'build project', value);
      if (!d.project) return undefined; // image builds are off in this deployment: the call cannot happen there
      return d.project.arn;
    },
    // The image task definitions copy the base definition's roles (lambda/src/adapters/runner-images.ts).
    role(call, value, which) {
      if (!/^arn:aws:iam::\d{12}:role\//.test(String(value))) fail(call, which, value);
      return which === 'taskRoleArn' ? d.roles.runnerTask.arn : d.roles.taskExecution.arn;
    },
  };
}

const ecsOnCluster = (d) => ({ 'ecs:cluster': d.cluster.arn });
const passToEcs = (roleArn) => ({ action: 'iam:PassRole', resource: roleArn, context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });

/** The IAM requests one recorded control-plane call stands for, in the deployment `d`. */
export function requestsForCall(call, sandbox, d) {
  const t = translator(sandbox, d);
  const r = call.resources;
  const op = `${call.service}.${call.operation}`;
  const via = (action, resource, context = {}) => ({ action, resource, context, source: op });
  switch (call.service) {
    case 'DynamoDB': {
      const tables = r.RequestItems ?? [r.TableName];
      return tables.map((name) => {
        const table = t.table(call, name);
        return via(`dynamodb:${call.operation}`, r.IndexName ? `${table}/index/${r.IndexName}` : table);
      });
    }
    case 'SSM': {
      const names = r.Path ? [r.Path] : (r.Names ?? [r.Name]);
      return names.flatMap((name) => {
        const parameter = t.parameter(call, name);
        const requests = [via(`ssm:${call.operation}`, parameter.arn)];
        // SecureStrings under the fleet's customer-managed key: SSM uses it with the caller's permission,
        // through SSM and with the parameter's ARN as encryption context (AWS's SSM/KMS documentation).
        const underFleetKey = d.key && parameter.keyId === d.key.arn;
        const context = { 'kms:ViaService': `ssm.${d.region}.amazonaws.com`, 'kms:EncryptionContext:PARAMETER_ARN': parameter.arn };
        if (underFleetKey && r.WithDecryption && parameter.type === 'SecureString') requests.push(via('kms:Decrypt', d.key.arn, context));
        // Intelligent-Tiering picks standard (KMS Encrypt) or advanced (envelope: GenerateDataKey) per value.
        if (underFleetKey && call.operation === 'PutParameter' && r.Type === 'SecureString') requests.push(via('kms:Encrypt', d.key.arn, context), via('kms:GenerateDataKey', d.key.arn, context));
        return requests;
      });
    }
    case 'EventBridge':
      if (call.operation !== 'PutEvents') break;
      return (r.EventBusNames ?? ['default']).map((name) => via('events:PutEvents', t.bus(call, name)));
    case 'ECS':
      switch (call.operation) {
        case 'RunTask': {
          const requests = [via('ecs:RunTask', t.taskDefinition(call, r.taskDefinition), { 'ecs:cluster': t.cluster(call, r.cluster) })];
          requests.push(...[d.taskDefinition.execution_role_arn, d.taskDefinition.task_role_arn].filter(Boolean).map((role) => ({ ...passToEcs(role), source: `${op} (passes the task's roles)` })));
          // Tags given at launch are authorized as ecs:TagResource on the new task.
          if (r.tags) requests.push(via('ecs:TagResource', arn(d, 'ecs', `task/${d.cluster.name}/0123456789abcdef0123456789abcdef`), { 'ecs:CreateAction': 'RunTask' }));
          return requests;
        }
        case 'DescribeTasks':
          return (r.tasks ?? []).map((task) => via('ecs:DescribeTasks', t.task(call, task), { 'ecs:cluster': t.cluster(call, r.cluster) }));
        case 'StopTask':
          return [via('ecs:StopTask', t.task(call, r.task), { 'ecs:cluster': t.cluster(call, r.cluster) })];
        case 'ListTasks':
          return [via('ecs:ListTasks', '*', { 'ecs:cluster': t.cluster(call, r.cluster) })];
        case 'DescribeTaskDefinition':
          t.taskDefinition(call, r.taskDefinition);
          return [via('ecs:DescribeTaskDefinition', '*')];
        case 'RegisterTaskDefinition': {
          const requests = [via('ecs:RegisterTaskDefinition', t.taskDefinition(call, `${r.family}:1`).replace(/:1$/, ':*'))];
          for (const which of ['executionRoleArn', 'taskRoleArn']) if (r[which]) requests.push({ ...passToEcs(t.role(call, r[which], which)), source: `${op} (names the task's roles)` });
          return requests;
        }
      }
      break;
    case 'ECR':
      if (call.operation === 'DescribeImages') return [via('ecr:DescribeImages', t.repository(call, r.repositoryName))];
      break;
    case 'CodeBuild': {
      const projects = call.operation === 'BatchGetBuilds' ? (r.ids ?? []) : [r.projectName];
      const requests = projects.map((p) => t.project(call, p)).filter(Boolean).map((project) => via(`codebuild:${call.operation}`, project));
      // A StartBuild that fails is followed by a DeleteItem of the image's build claim (releaseImageBuild in
      // lambda/src/domain/resolve-image.ts); no integration test makes StartBuild fail, so it is implied here.
      if (call.operation === 'StartBuild' && requests.length) requests.push({ ...via('dynamodb:DeleteItem', d.table.arn), source: `${op} (a refused build gives its claim back)` });
      return requests;
    }
  }
  throw new UnknownResourceError(`the IAM checks do not know which permission ${op} needs: add it to scripts/apply-checks/iam-requests.mjs`);
}

/** The runner table's stream, as applied; a table without one cannot feed dispatch. */
function streamArn(d) {
  if (!d.table.stream_enabled || !d.table.stream_arn) throw new Error(`the runner table ${d.table.name} has no stream: dispatch follows its stream (stream_enabled, NEW_IMAGE)`);
  return d.table.stream_arn;
}

/** What AWS services do with the fleet's roles themselves (documented by each service; not recorded). */
export function serviceRequests(d) {
  const sessionStream = (group) => `${group.arn}:log-stream:2026/12/04/[$LATEST]0123456789abcdef`;
  const keyUse = (actions, source) => (d.key ? actions.map((action) => ({ action, resource: d.key.arn, context: {}, source })) : []);
  const controlPlane = [
    // The Lambda service writes the function's logs with the execution role.
    ...['logs:CreateLogStream', 'logs:PutLogEvents'].map((action) => ({ action, resource: sessionStream(d.lambda.logGroup), context: {}, source: 'Lambda (function logs)' })),
    // An asynchronous invocation that failed every attempt, and a stream batch that failed every retry, go to the
    // on-failure destination (the dead-letter queue), sent with the function's role.
    { action: 'sqs:SendMessage', resource: d.queue.arn, context: {}, source: 'Lambda (on-failure destination of invocations and of the stream mapping)' },
    // The event source mapping polls the runner table's stream with the function's role. These calls are Lambda's,
    // never the function's, so the sandbox cannot record them (AWS Lambda Developer Guide, DynamoDB execution role).
    ...['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'].map((action) => ({ action, resource: streamArn(d), context: {}, source: 'Lambda (event source mapping on the table stream)' })),
    { action: 'dynamodb:ListStreams', resource: '*', context: {}, source: 'Lambda (event source mapping; ListStreams has no resource type)' },
    // SSE-KMS queues: the sender needs GenerateDataKey and Decrypt on the queue's key.
    ...keyUse(['kms:GenerateDataKey', 'kms:Decrypt'], 'Lambda (encrypted on-failure destination)'),
  ];
  const stream = d.runnerLogGroup ? `${d.runnerLogGroup.arn}:log-stream:runner/runner/0123456789abcdef0123456789abcdef` : undefined;
  const taskExecution = [
    // The ECS agent pulls the runner image and ships the container's logs with the task execution role.
    { action: 'ecr:GetAuthorizationToken', resource: '*', context: {}, source: 'ECS (image pull)' },
    ...['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'].map((action) => ({ action, resource: d.repository.arn, context: {}, source: 'ECS (image pull)' })),
    ...(stream ? ['logs:CreateLogStream', 'logs:PutLogEvents'].map((action) => ({ action, resource: stream, context: {}, source: 'ECS (awslogs driver)' })) : []),
    ...keyUse(['kms:Decrypt'], 'ECS (image layers under the fleet key)'),
  ];
  const imageBuild = d.project
    ? [
        ...['logs:CreateLogStream', 'logs:PutLogEvents'].map((action) => ({ action, resource: `${d.project.logGroup.arn}:log-stream:0123456789abcdef`, context: {}, source: 'CodeBuild (build logs)' })),
        { action: 'ecr:GetAuthorizationToken', resource: '*', context: {}, source: 'CodeBuild (docker login)' },
        ...['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:PutImage'].map((action) => ({
          action,
          resource: d.repository.arn,
          context: {},
          source: 'CodeBuild (docker push)',
        })),
      ]
    : [];
  // The runner task role's own calls (its JIT config's read and delete) are recorded by the sandbox.
  return { controlPlane, taskExecution, imageBuild };
}

/** Calls each role must not be able to make: neighbours of what it may do, and the dangerous ones. */
export function mustDeny(d) {
  const otherTable = arn(d, 'dynamodb', 'table/someone-elses-table');
  const otherCluster = arn(d, 'ecs', 'cluster/someone-elses-cluster');
  const githubAuth = d.parameters.find((p) => p.name === d.env.GITHUB_AUTH_PARAM).arn;
  const deny = (action, resource, context = {}, why) => ({ action, resource, context, source: why });
  // Denied even when the operator attaches broad read access to the runner role (runner_task_policy_arns).
  const denyWithBroadRead = (action, resource, context, why) => ({ ...deny(action, resource, context, `${why}, even with broad read access attached`), withBroadRead: true });
  const jitSample = d.env.JIT_PARAMETER_PATH ? arn(d, 'ssm', `parameter${d.env.JIT_PARAMETER_PATH}/runner-fleet-1/0123456789abcdef0123456789abcdef`) : undefined;
  const everyone = [
    deny('iam:CreateRole', arn(d, 'iam', 'role/escalate', { region: '' }), {}, 'no IAM writes'),
    deny('iam:AttachRolePolicy', d.roles.controlPlane.arn, {}, 'no IAM writes'),
    deny('dynamodb:GetItem', otherTable, {}, 'another table'),
    deny('ssm:GetParameter', arn(d, 'ssm', 'parameter/someone-elses/secret'), {}, 'another parameter'),
    deny('kms:Decrypt', arn(d, 'kms', 'key/00000000-0000-0000-0000-000000000000'), {}, 'another key'),
    deny('sts:AssumeRole', arn(d, 'iam', 'role/OrganizationAccountAccessRole', { region: '' }), {}, 'no role chaining'),
  ];
  return {
    controlPlane: [
      ...everyone,
      deny('dynamodb:PutItem', otherTable, {}, 'another table'),
      deny('dynamodb:Scan', d.table.arn, {}, 'the control plane never scans (the CLI does)'),
      deny('dynamodb:GetRecords', `${otherTable}/stream/2026-01-01T00:00:00.000`, {}, 'another table\'s stream'),
      deny('dynamodb:GetShardIterator', `${d.table.arn}/stream/2020-01-01T00:00:00.000`, {}, 'a stream of the table other than the mapped one'),
      deny('ecs:RunTask', arn(d, 'ecs', 'task-definition/someone-elses-family:1'), ecsOnCluster(d), 'a task definition that is not the fleet\'s'),
      deny('ecs:RunTask', arn(d, 'ecs', `task-definition/${d.env.RUNNER_TASK_DEFINITION}:1`), { 'ecs:cluster': otherCluster }, 'the fleet\'s task on another cluster'),
      deny('ecs:StopTask', arn(d, 'ecs', 'task/someone-elses-cluster/0123456789abcdef0123456789abcdef'), { 'ecs:cluster': otherCluster }, 'a task of another cluster'),
      deny('ecs:RegisterTaskDefinition', arn(d, 'ecs', 'task-definition/someone-elses-family:*'), {}, 'a family that is not the fleet\'s'),
      deny('iam:PassRole', arn(d, 'iam', 'role/admin', { region: '' }), { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' }, 'a role that is not the fleet\'s'),
      deny('iam:PassRole', d.roles.runnerTask.arn, { 'iam:PassedToService': 'lambda.amazonaws.com' }, 'the runner role to another service'),
      deny('ssm:PutParameter', githubAuth, {}, 'overwrite the GitHub credential'),
      deny('events:PutEvents', arn(d, 'events', 'event-bus/default'), {}, 'the default bus'),
      deny('sqs:SendMessage', arn(d, 'sqs', 'someone-elses-queue'), {}, 'another queue'),
      deny('ecr:PutImage', d.repository.arn, {}, 'push images (only the build does)'),
      deny('codebuild:StartBuild', arn(d, 'codebuild', 'project/someone-elses-project'), {}, 'another build project'),
    ],
    taskExecution: [
      ...everyone,
      deny('ecr:BatchGetImage', arn(d, 'ecr', 'repository/someone-elses-repository'), {}, 'another repository'),
      deny('ecr:PutImage', d.repository.arn, {}, 'push images'),
      deny('ssm:GetParameter', githubAuth, {}, 'the GitHub credential'),
      deny('logs:PutLogEvents', arn(d, 'logs', 'log-group:/aws/lambda/someone-else:log-stream:x'), {}, 'another log group'),
    ],
    runnerTask: [
      ...everyone,
      // What a job step holds: the task role's credentials. None of the fleet's own state is theirs.
      deny('dynamodb:GetItem', d.table.arn, {}, 'the fleet\'s records'),
      deny('ssm:GetParameter', githubAuth, {}, 'the GitHub credential'),
      deny('ecs:RunTask', arn(d, 'ecs', `task-definition/${d.env.RUNNER_TASK_DEFINITION}:1`), ecsOnCluster(d), 'start more runners'),
      deny('ecs:StopTask', arn(d, 'ecs', `task/${d.cluster.name}/0123456789abcdef0123456789abcdef`), ecsOnCluster(d), 'stop other runners'),
      deny('ecr:PutImage', d.repository.arn, {}, 'replace the runner image'),
      deny('iam:PassRole', d.roles.taskExecution.arn, { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' }, 'pass the fleet\'s roles'),
      ...(d.env.JIT_PARAMETER_PATH
        ? [
            // Other runners' configs wait on the same path: a job may take its own by name, never list
            // or find them, even with broad read access attached (ReadOnlyAccess allows ssm:Get*):
            // GetParametersByPath is authorized on the path asked for, so every parent path is tried.
            ...[d.env.JIT_PARAMETER_PATH, d.env.JIT_PARAMETER_PATH.split('/').slice(0, -1).join('/')].map((path) =>
              denyWithBroadRead('ssm:GetParametersByPath', arn(d, 'ssm', `parameter${path}`), {}, `list the waiting JIT configs from ${path}`),
            ),
            denyWithBroadRead('ssm:DescribeParameters', '*', {}, 'list the waiting JIT configs'),
            denyWithBroadRead('ssm:GetParameters', jitSample, {}, 'read a JIT config in a batch'),
            denyWithBroadRead('ssm:GetParameterHistory', jitSample, {}, 'read a JIT config\'s history'),
            denyWithBroadRead('ecs:DescribeTasks', arn(d, 'ecs', `task/${d.cluster.name}/0123456789abcdef0123456789abcdef`), ecsOnCluster(d), 'read other tasks\' overrides'),
            ...['GITHUB_AUTH_PARAM', 'WEBHOOK_SECRET_PARAM', 'CLASS_SIZES_PARAM'].map((setting) => denyWithBroadRead('ssm:GetParameter', d.parameters.find((p) => p.name === d.env[setting]).arn, {}, `the fleet's ${setting}`)),
            deny('ssm:PutParameter', jitSample, {}, 'plant a JIT config'),
          ]
        : []),
      ...(d.key
        ? [
            deny('kms:Decrypt', d.key.arn, {}, 'the fleet key outside SSM'),
            deny('kms:Decrypt', d.key.arn, { 'kms:ViaService': `ssm.${d.region}.amazonaws.com`, 'kms:EncryptionContext:PARAMETER_ARN': githubAuth }, 'the GitHub credential through SSM'),
          ]
        : []),
    ],
    imageBuild: d.project
      ? [
          ...everyone,
          deny('ecr:PutImage', arn(d, 'ecr', 'repository/someone-elses-repository'), {}, 'push to another repository'),
          deny('ssm:GetParameter', githubAuth, {}, 'the GitHub credential'),
          deny('dynamodb:GetItem', d.table.arn, {}, 'the fleet\'s records'),
        ]
      : [],
  };
}
