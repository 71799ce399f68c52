locals {
  arn_prefix     = "arn:${data.aws_partition.current.partition}"
  region_account = "${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}"
  cluster_tasks  = "${local.arn_prefix}:ecs:${local.region_account}:task/${var.fleet.cluster_name}/*"
  # The default family and, for image: labels, one family per image tag ("<family>-<tag>").
  task_definitions = [
    "${local.arn_prefix}:ecs:${local.region_account}:task-definition/${var.fleet.task_definition_family}:*",
    "${local.arn_prefix}:ecs:${local.region_account}:task-definition/${var.fleet.task_definition_family}-*:*",
  ]
  on_this_cluster = { ArnEquals = { "ecs:cluster" = var.fleet.cluster_arn } }
  # Where runners' JIT configs wait for their tasks (the ecs-fleet module lets the runner task role take them from there).
  jit_parameter_path = "/${var.name_prefix}/jit"
  jit_parameters_arn = "${local.arn_prefix}:ssm:${local.region_account}:parameter${local.jit_parameter_path}/*"

  lambda_statements = concat(
    [
      {
        Sid      = "OwnLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "${aws_cloudwatch_log_group.lambda.arn}:*"
      },
      {
        Sid      = "RunnerRecords"
        Effect   = "Allow"
        Action   = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"]
        Resource = [aws_dynamodb_table.this.arn, "${aws_dynamodb_table.this.arn}/index/status-index", "${aws_dynamodb_table.this.arn}/index/retry-index"]
      },
      {
        Sid      = "OwnParameters"
        Effect   = "Allow"
        Action   = ["ssm:GetParameter"]
        Resource = [aws_ssm_parameter.class_sizes.arn, aws_ssm_parameter.github_auth.arn, aws_ssm_parameter.webhook_secret.arn]
      },
      {
        # Put before RunTask; leftovers of a runner found by its own path and deleted when it ends.
        Sid      = "RunnerJitConfigs"
        Effect   = "Allow"
        Action   = ["ssm:PutParameter", "ssm:GetParametersByPath", "ssm:DeleteParameters"]
        Resource = local.jit_parameters_arn
      },
      {
        Sid      = "PutOnOwnBus"
        Effect   = "Allow"
        Action   = ["events:PutEvents"]
        Resource = aws_cloudwatch_event_bus.this.arn
      },
      {
        Sid       = "RunFleetTasks"
        Effect    = "Allow"
        Action    = ["ecs:RunTask"]
        Resource  = local.task_definitions
        Condition = local.on_this_cluster
      },
      {
        Sid       = "TagTasksAtLaunch"
        Effect    = "Allow"
        Action    = ["ecs:TagResource"]
        Resource  = local.cluster_tasks
        Condition = { StringEquals = { "ecs:CreateAction" = "RunTask" } }
      },
      {
        Sid       = "ManageFleetTasks"
        Effect    = "Allow"
        Action    = ["ecs:DescribeTasks", "ecs:StopTask"]
        Resource  = local.cluster_tasks
        Condition = local.on_this_cluster
      },
      {
        Sid       = "ListFleetTasks"
        Effect    = "Allow"
        Action    = ["ecs:ListTasks"]
        Resource  = "*" # ListTasks has no task-level resource; the ecs:cluster condition scopes it.
        Condition = local.on_this_cluster
      },
      {
        Sid       = "PassTaskRoles"
        Effect    = "Allow"
        Action    = ["iam:PassRole"]
        Resource  = [var.fleet.task_execution_role_arn, var.fleet.runner_task_role_arn]
        Condition = { StringEquals = { "iam:PassedToService" = "ecs-tasks.amazonaws.com" } }
      },
      {
        # Lambda's event source mapping polls the table's stream with the function's role (stream.tf).
        Sid      = "ReadRunnerStream"
        Effect   = "Allow"
        Action   = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]
        Resource = aws_dynamodb_table.this.stream_arn
      },
      {
        # AWS's Service Authorization Reference gives ListStreams no resource type, so only "*" matches it;
        # it returns stream ARNs and table names, never items.
        Sid      = "ListStreams"
        Effect   = "Allow"
        Action   = ["dynamodb:ListStreams"]
        Resource = "*"
      },
      {
        # Failed asynchronous invocations (lambda.tf) and stream batches that failed every retry (stream.tf):
        # Lambda sends both to the on-failure destination with the function's role.
        Sid      = "DeadLetters"
        Effect   = "Allow"
        Action   = ["sqs:SendMessage"]
        Resource = aws_sqs_queue.dead_letter.arn
      },
    ],
    local.create_image_build_rule ? [
      {
        Sid      = "BuildRunnerImages"
        Effect   = "Allow"
        Action   = ["codebuild:StartBuild", "codebuild:BatchGetBuilds"]
        Resource = var.image_build_project.arn
      },
      {
        # A build that could not be started gives its claim on the image back (releaseImageBuild), so the next job
        # can claim it: the control plane's only delete, so only with dynamic images.
        Sid      = "ReleaseImageBuildClaims"
        Effect   = "Allow"
        Action   = ["dynamodb:DeleteItem"]
        Resource = aws_dynamodb_table.this.arn
      },
      {
        # Whether an image is built yet: asked only when images are built on demand.
        Sid      = "ReadRunnerImages"
        Effect   = "Allow"
        Action   = ["ecr:DescribeImages"]
        Resource = var.fleet.ecr_repository_arn
      },
      {
        # AWS's Service Authorization Reference gives RegisterTaskDefinition the task-definition resource:
        # the control plane registers only the image families "<family>-<tag>".
        Sid      = "RegisterImageTaskDefinitions"
        Effect   = "Allow"
        Action   = ["ecs:RegisterTaskDefinition"]
        Resource = local.task_definitions[1]
      },
      {
        Sid      = "ReadTaskDefinitions"
        Effect   = "Allow"
        Action   = ["ecs:DescribeTaskDefinition"]
        Resource = "*" # AWS requires "*": DescribeTaskDefinition takes no resource ARN.
      },
    ] : [],
    var.kms_key_arn == null ? [] : [{
      Sid      = "UseFleetKey"
      Effect   = "Allow"
      Action   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
      Resource = var.kms_key_arn
    }],
  )
}

resource "aws_iam_role" "lambda" {
  name = local.function_name
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "lambda" {
  name   = "control-plane"
  role   = aws_iam_role.lambda.id
  policy = jsonencode({ Version = "2012-10-17", Statement = local.lambda_statements })
}
