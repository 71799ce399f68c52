// What an applied configuration holds, read from `terraform show -json`: the roles with the IAM
// policies AWS stores for them, and the ARNs of the fleet's resources.

function* resourcesOf(module) {
  for (const resource of module?.resources ?? []) yield resource;
  for (const child of module?.child_modules ?? []) yield* resourcesOf(child);
}

function parsePolicy(text, where) {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${where}: the policy is not JSON (${error.message})`);
  }
}

export function readDeployment(state) {
  const managed = [...resourcesOf(state.values?.root_module)].filter((r) => r.mode === 'managed');
  const ofType = (type) => managed.filter((r) => r.type === type).map((r) => ({ address: r.address, ...r.values }));
  const one = (type, predicate = () => true, what = 'one') => {
    const found = ofType(type).filter(predicate);
    if (found.length !== 1) throw new Error(`the applied state has ${found.length} ${type} resources where the IAM checks expect ${what}`);
    return found[0];
  };
  const optional = (type) => ofType(type)[0];

  const lambda = one('aws_lambda_function');
  const env = lambda.environment[0].variables;
  const taskDefinition = one('aws_ecs_task_definition', (t) => t.family === env.RUNNER_TASK_DEFINITION, `the RUNNER_TASK_DEFINITION ${env.RUNNER_TASK_DEFINITION}`);
  const project = optional('aws_codebuild_project');
  const [, , , region, account] = lambda.arn.split(':');
  const roles = ofType('aws_iam_role');
  const inline = ofType('aws_iam_role_policy');
  const attachments = ofType('aws_iam_role_policy_attachment');
  const customerPolicies = ofType('aws_iam_policy');

  const role = (arn, purpose) => {
    const found = roles.find((r) => r.arn === arn);
    if (!found) throw new Error(`the ${purpose} role ${arn} is not in the applied state`);
    const policies = inline.filter((p) => p.role === found.name).map((p) => ({ name: p.name, policy: parsePolicy(p.policy, p.address) }));
    for (const attachment of attachments.filter((a) => a.role === found.name)) {
      const policy = customerPolicies.find((p) => p.arn === attachment.policy_arn);
      // An AWS managed policy's document is not in the state: the check would have to guess it.
      if (!policy) throw new Error(`${found.name}: attached policy ${attachment.policy_arn} is not in the applied state, so it cannot be simulated`);
      policies.push({ name: policy.name, policy: parsePolicy(policy.policy, policy.address) });
    }
    return { arn: found.arn, name: found.name, purpose, policies, session: `arn:aws:sts::${account}:assumed-role/${found.name}/iam-checks` };
  };

  const logGroups = ofType('aws_cloudwatch_log_group');
  const logGroup = (name) => {
    const found = logGroups.find((g) => g.name === name);
    if (!found) throw new Error(`log group ${name} is not in the applied state`);
    return found;
  };
  const runnerLogGroup = JSON.parse(taskDefinition.container_definitions)[0]?.logConfiguration?.options?.['awslogs-group'];
  const queue = one('aws_sqs_queue');
  const queuePolicy = optional('aws_sqs_queue_policy');
  const key = optional('aws_kms_key');

  return {
    region,
    account,
    env,
    lambda: { arn: lambda.arn, logGroup: logGroup(lambda.logging_config?.[0]?.log_group ?? `/aws/lambda/${lambda.function_name}`) },
    roles: {
      controlPlane: role(lambda.role, 'control plane (Lambda)'),
      taskExecution: role(taskDefinition.execution_role_arn, 'task execution'),
      runnerTask: role(taskDefinition.task_role_arn, 'runner task'),
      ...(project ? { imageBuild: role(project.service_role, 'image build (CodeBuild)') } : {}),
    },
    // Each resource is the one the Lambda's environment names: a setting naming another would fail in AWS.
    table: one('aws_dynamodb_table', (t) => t.name === env.RUNNER_TABLE, `the RUNNER_TABLE ${env.RUNNER_TABLE}`),
    parameters: ofType('aws_ssm_parameter'),
    bus: one('aws_cloudwatch_event_bus', (b) => b.name === env.EVENT_BUS_NAME, `the EVENT_BUS_NAME ${env.EVENT_BUS_NAME}`),
    cluster: one('aws_ecs_cluster', (c) => c.name === env.ECS_CLUSTER || c.arn === env.ECS_CLUSTER, `the ECS_CLUSTER ${env.ECS_CLUSTER}`),
    taskDefinition,
    repository: one('aws_ecr_repository', (r) => r.repository_url === env.ECR_REPOSITORY_URL, `the ECR_REPOSITORY_URL ${env.ECR_REPOSITORY_URL}`),
    runnerLogGroup: runnerLogGroup ? logGroup(runnerLogGroup) : undefined,
    project: project ? { ...project, logGroup: logGroup(project.logs_config[0].cloudwatch_logs[0].group_name) } : undefined,
    queue: { ...queue, policy: queuePolicy ? parsePolicy(queuePolicy.policy, queuePolicy.address) : undefined },
    key: key ? { arn: key.arn, policy: parsePolicy(key.policy, key.address) } : undefined,
  };
}
