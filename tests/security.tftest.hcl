# Security as tests (issue 3): no IaC scanner can run here, so the planned
# policies and settings are checked directly.
#
# "*" appears as a Resource only where AWS requires it:
#   ecr:GetAuthorizationToken (the token is not tied to a repository),
#   ecs:ListTasks (no task-level resource; scoped by the ecs:cluster condition),
#   ecs:DescribeTaskDefinition (no resource ARN; only with dynamic images),
#   dynamodb:ListStreams (no resource type in AWS's Service Authorization Reference; the other
#   three stream actions are scoped to the table's stream ARN).
# (ecs:RegisterTaskDefinition is scoped to the image families: AWS gives it the task-definition resource.)

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

variables {
  name_prefix    = "fleet"
  lambda_zip     = "tests/fixtures/control-plane.zip"
  github_auth    = "ghp_0123456789abcdefghijklmnopqrstuvwxyz"
  webhook_secret = "0123456789abcdef0123456789abcdef"
  event_bus_name = "fleet-events"
  github         = { repo = "octo-org/octo-repo" }
  fleet = {
    cluster_name            = "fleet"
    cluster_arn             = "arn:aws:ecs:eu-west-1:123456789012:cluster/fleet"
    task_definition_family  = "fleet-runner"
    runner_container_name   = "runner"
    task_execution_role_arn = "arn:aws:iam::123456789012:role/fleet-task-execution"
    runner_task_role_arn    = "arn:aws:iam::123456789012:role/fleet-runner-task"
    ecr_repository_url      = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet-runner"
    ecr_repository_arn      = "arn:aws:ecr:eu-west-1:123456789012:repository/fleet-runner"
  }
  network = { subnet_ids = ["subnet-1"], security_group_ids = ["sg-1"] }
  runners = {
    class_sizes          = { small = { cpu = 512, memory = 1024 } }
    default_class        = "small"
    max_runners          = 10
    idle_timeout_seconds = 600
    allowed_base_images  = []
    extra_labels         = []
  }
  image_build_project = { name = "fleet-images", arn = "arn:aws:codebuild:eu-west-1:123456789012:project/fleet-images" }

  # Used by the ecs-fleet and image-build runs.
  default_size       = { cpu = 512, memory = 1024 }
  project_name       = "fleet-images"
  ecr_repository_url = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet-runner"
  ecr_repository_arn = "arn:aws:ecr:eu-west-1:123456789012:repository/fleet-runner"
  build_context_dir  = "runner"
}

run "control_plane_least_privilege" {
  command = plan
  module {
    source = "./modules/control-plane"
  }

  assert {
    condition     = alltrue([for s in jsondecode(aws_iam_role_policy.lambda.policy).Statement : alltrue([for a in flatten([s.Action]) : !strcontains(a, "*")])])
    error_message = "No control-plane IAM statement may use a wildcard action."
  }

  assert {
    condition = alltrue([for s in jsondecode(aws_iam_role_policy.lambda.policy).Statement :
      !contains(flatten([s.Resource]), "*") || alltrue([for a in flatten([s.Action]) : contains(["ecs:ListTasks", "ecs:DescribeTaskDefinition", "dynamodb:ListStreams"], a)])
    ])
    error_message = "Resource \"*\" is allowed only for ecs:ListTasks, ecs:DescribeTaskDefinition and dynamodb:ListStreams, which AWS gives no resource."
  }

  assert {
    condition = alltrue([for s in jsondecode(aws_iam_role_policy.lambda.policy).Statement :
      s.Condition.ArnEquals["ecs:cluster"] == "arn:aws:ecs:eu-west-1:123456789012:cluster/fleet" if s.Sid == "ListFleetTasks"
    ])
    error_message = "ListTasks must be scoped to the fleet's cluster."
  }

  assert {
    condition = (
      length([for s in jsondecode(aws_iam_role_policy.lambda.policy).Statement : s if contains(flatten([s.Action]), "iam:PassRole")]) == 1 &&
      one([for s in jsondecode(aws_iam_role_policy.lambda.policy).Statement : toset(s.Resource) if contains(flatten([s.Action]), "iam:PassRole")]) == toset([var.fleet.task_execution_role_arn, var.fleet.runner_task_role_arn])
    )
    error_message = "iam:PassRole must name exactly the two task roles."
  }

  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.lambda.policy).Statement : s if contains(flatten([s.Action]), "ecs:RunTask")] == [{
      Sid       = "RunFleetTasks"
      Effect    = "Allow"
      Action    = ["ecs:RunTask"]
      Resource  = ["arn:aws:ecs:eu-west-1:123456789012:task-definition/fleet-runner:*", "arn:aws:ecs:eu-west-1:123456789012:task-definition/fleet-runner-*:*"]
      Condition = { ArnEquals = { "ecs:cluster" = "arn:aws:ecs:eu-west-1:123456789012:cluster/fleet" } }
    }]
    error_message = "RunTask must be allowed only on this fleet's task definitions, in this cluster."
  }

  assert {
    condition     = aws_dynamodb_table.this.server_side_encryption[0].enabled && aws_dynamodb_table.this.point_in_time_recovery[0].enabled && aws_dynamodb_table.this.ttl[0].attribute_name == "expiresAt"
    error_message = "The runner table must be encrypted, have PITR, and expire records on expiresAt."
  }

  assert {
    condition     = aws_sqs_queue.dead_letter.sqs_managed_sse_enabled == true
    error_message = "The dead-letter queue must be encrypted."
  }

  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.lambda.policy).Statement : s if s.Sid == "RunnerJitConfigs"] == [{
      Sid      = "RunnerJitConfigs"
      Effect   = "Allow"
      Action   = ["ssm:PutParameter", "ssm:GetParametersByPath", "ssm:DeleteParameters"]
      Resource = "arn:aws:ssm:eu-west-1:123456789012:parameter/fleet/jit/*"
    }] && aws_lambda_function.this.environment[0].variables.JIT_PARAMETER_PATH == "/fleet/jit" && aws_lambda_function.this.environment[0].variables.JIT_KMS_KEY_ID == ""
    error_message = "The Lambda stores and deletes JIT configs only under /<name_prefix>/jit/, the path it is given."
  }

  assert {
    condition     = aws_ssm_parameter.github_auth.type == "SecureString" && aws_ssm_parameter.webhook_secret.type == "SecureString" && aws_ssm_parameter.class_sizes.type == "String"
    error_message = "Secrets go only to SecureString parameters; the class sizes are a plain String."
  }

  assert {
    condition     = nonsensitive(alltrue([for v in values(aws_lambda_function.this.environment[0].variables) : !strcontains(v, var.github_auth) && !strcontains(v, var.webhook_secret)]))
    error_message = "No secret may reach the Lambda's environment."
  }

  assert {
    condition     = aws_apigatewayv2_stage.this.default_route_settings[0].throttling_burst_limit > 0 && aws_apigatewayv2_stage.this.default_route_settings[0].throttling_rate_limit > 0
    error_message = "The API stage must be throttled."
  }

  assert {
    condition     = length(aws_apigatewayv2_stage.this.access_log_settings) == 1
    error_message = "The API stage must write access logs."
  }

  assert {
    condition     = aws_lambda_function.this.runtime == "nodejs22.x" && one(aws_lambda_function.this.architectures) == "arm64"
    error_message = "The control plane runs on Node.js 22, arm64."
  }

  assert {
    condition     = jsondecode(aws_sqs_queue_policy.dead_letter.policy).Statement[0].Principal.Service == "events.amazonaws.com" && length(jsondecode(aws_sqs_queue_policy.dead_letter.policy).Statement[0].Condition.ArnEquals["aws:SourceArn"]) == 4
    error_message = "Only the fleet's EventBridge rules may send to the dead-letter queue."
  }
}

run "control_plane_with_customer_key" {
  command = plan
  module {
    source = "./modules/control-plane"
  }
  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  }

  assert {
    condition = alltrue([
      aws_dynamodb_table.this.server_side_encryption[0].kms_key_arn == var.kms_key_arn,
      aws_sqs_queue.dead_letter.kms_master_key_id == var.kms_key_arn,
      aws_ssm_parameter.github_auth.key_id == var.kms_key_arn,
      aws_ssm_parameter.webhook_secret.key_id == var.kms_key_arn,
      aws_cloudwatch_log_group.lambda.kms_key_id == var.kms_key_arn,
      aws_cloudwatch_log_group.api.kms_key_id == var.kms_key_arn,
    ])
    error_message = "A customer-managed key must encrypt the table, queue, secrets and log groups."
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.lambda.policy).Statement : s.Resource if s.Sid == "UseFleetKey"] == [var.kms_key_arn]
    error_message = "The Lambda may use only the fleet's key."
  }

  assert {
    condition     = nonsensitive(aws_lambda_function.this.environment[0].variables.JIT_KMS_KEY_ID) == var.kms_key_arn
    error_message = "JIT configs are encrypted with the fleet's key when there is one."
  }
}

run "control_plane_without_dynamic_images" {
  command = plan
  module {
    source = "./modules/control-plane"
  }
  variables {
    image_build_project = null
  }

  assert {
    condition     = alltrue([for s in jsondecode(aws_iam_role_policy.lambda.policy).Statement : !contains(flatten([s.Resource]), "*") || contains(["ListFleetTasks", "ListStreams"], s.Sid)])
    error_message = "Without dynamic images, only ListTasks and ListStreams have a \"*\" resource."
  }

  assert {
    condition     = length(aws_cloudwatch_event_rule.image_build) == 0 && length([for s in jsondecode(aws_iam_role_policy.lambda.policy).Statement : s if strcontains(jsonencode(s.Action), "codebuild")]) == 0
    error_message = "Without dynamic images there is no image-build rule and no CodeBuild permission."
  }

  assert {
    condition     = length([for s in jsondecode(aws_iam_role_policy.lambda.policy).Statement : s if contains(flatten([s.Action]), "dynamodb:DeleteItem")]) == 0
    error_message = "Without dynamic images the control plane deletes no item (its only delete gives an image-build claim back)."
  }
}

run "ecs_fleet_least_privilege" {
  command = plan
  module {
    source = "./modules/ecs-fleet"
  }

  assert {
    condition = alltrue([for s in jsondecode(aws_iam_role_policy.task_execution.policy).Statement :
      alltrue([for a in flatten([s.Action]) : !strcontains(a, "*")]) && (!contains(flatten([s.Resource]), "*") || flatten([s.Action]) == ["ecr:GetAuthorizationToken"])
    ])
    error_message = "The execution role may use \"*\" only for ecr:GetAuthorizationToken, and no wildcard actions."
  }

  assert {
    condition     = length(aws_iam_role_policy_attachment.runner) == 0
    error_message = "The runner task role has no permissions unless runner_task_policy_arns lists some."
  }

  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.runner_jit_config.policy).Statement : s if s.Effect == "Allow"] == [{
      Sid      = "TakeJitConfig"
      Effect   = "Allow"
      Action   = ["ssm:GetParameter", "ssm:DeleteParameter"]
      Resource = "arn:aws:ssm:eu-west-1:123456789012:parameter/fleet/jit/*"
    }]
    error_message = "Beyond what the operator attaches, the runner task role may only read and delete parameters under /<name_prefix>/jit/ (by name: no listing)."
  }

  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.runner_jit_config.policy).Statement : s if s.Effect == "Deny"] == [
      { Sid = "NoOtherWayToJitConfigs", Effect = "Deny", NotAction = ["ssm:GetParameter", "ssm:DeleteParameter"], Resource = "arn:aws:ssm:eu-west-1:123456789012:parameter/fleet/jit/*" },
      { Sid = "NoListingOfJitConfigs", Effect = "Deny", Action = ["ssm:DescribeParameters", "ssm:GetParametersByPath"], Resource = "*" },
      { Sid = "NoFleetSecrets", Effect = "Deny", Action = ["ssm:*"], Resource = [for name in ["github-auth", "webhook-secret", "class-sizes", "fleet"] : "arn:aws:ssm:eu-west-1:123456789012:parameter/fleet/${name}"] },
      { Sid = "NoReadingOfRunnerTasks", Effect = "Deny", Action = ["ecs:DescribeTasks"], Resource = "arn:aws:ecs:eu-west-1:123456789012:task/fleet/*" },
    ]
    error_message = "Whatever runner_task_policy_arns attach, a job may not list parameters by path or by name, read JIT parameters another way, read the fleet's own parameters, or read the fleet's tasks (their overrides name the parameters)."
  }

  assert {
    condition     = aws_ecr_repository.this.image_scanning_configuration[0].scan_on_push && aws_ecr_repository.this.encryption_configuration[0].encryption_type == "KMS"
    error_message = "ECR must scan on push and encrypt with KMS."
  }

  assert {
    condition     = one([for s in aws_ecs_cluster.this.setting : s.value if s.name == "containerInsights"]) == "enabled"
    error_message = "The cluster must have Container Insights."
  }

  assert {
    condition     = toset(aws_ecs_cluster_capacity_providers.this.capacity_providers) == toset(["FARGATE", "FARGATE_SPOT"])
    error_message = "The cluster needs both Fargate capacity providers."
  }

  assert {
    condition     = jsondecode(aws_ecs_task_definition.runner.container_definitions)[0].logConfiguration.logDriver == "awslogs" && aws_ecs_task_definition.runner.network_mode == "awsvpc"
    error_message = "The runner task logs to CloudWatch and uses awsvpc."
  }
}

run "ecs_fleet_jit_config_with_customer_key" {
  command = plan
  module {
    source = "./modules/ecs-fleet"
  }
  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  }

  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.runner_jit_config.policy).Statement : s if s.Sid == "DecryptJitConfig"] == [{
      Sid      = "DecryptJitConfig"
      Effect   = "Allow"
      Action   = ["kms:Decrypt"]
      Resource = var.kms_key_arn
      Condition = {
        StringEquals = { "kms:ViaService" = "ssm.eu-west-1.amazonaws.com" }
        StringLike   = { "kms:EncryptionContext:PARAMETER_ARN" = "arn:aws:ssm:eu-west-1:123456789012:parameter/fleet/jit/*" }
      }
    }]
    error_message = "With the fleet's key, the runner task role may decrypt only through SSM and only JIT parameters."
  }
}

run "ecs_fleet_runner_policies" {
  command = plan
  module {
    source = "./modules/ecs-fleet"
  }
  variables {
    runner_task_policy_arns = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
  }

  assert {
    condition     = length(aws_iam_role_policy_attachment.runner) == 1
    error_message = "runner_task_policy_arns are attached to the runner task role."
  }
}

run "image_build_least_privilege" {
  command = plan
  module {
    source = "./modules/image-build-project"
  }

  assert {
    condition = alltrue([for s in jsondecode(aws_iam_role_policy.this.policy).Statement :
      alltrue([for a in flatten([s.Action]) : !strcontains(a, "*")]) && (!contains(flatten([s.Resource]), "*") || flatten([s.Action]) == ["ecr:GetAuthorizationToken"])
    ])
    error_message = "The build role may use \"*\" only for ecr:GetAuthorizationToken."
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Resource if s.Sid == "PushRunnerImages"] == [var.ecr_repository_arn]
    error_message = "The build may push only to the fleet's repository."
  }

  assert {
    condition     = strcontains(aws_codebuild_project.this.source[0].buildspec, "base64 -d > '/tmp/context/Dockerfile'") && strcontains(aws_codebuild_project.this.source[0].buildspec, "base64 -d > '/tmp/context/entrypoint.sh'")
    error_message = "The buildspec must carry the runner/ build context."
  }
}
