locals {
  ecs_tasks_trust = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = {
        StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id }
      }
    }]
  })
}

# Pulls the runner image and writes its logs; nothing else.
resource "aws_iam_role" "task_execution" {
  name               = "${var.name_prefix}-task-execution"
  assume_role_policy = local.ecs_tasks_trust
  tags               = var.tags
}

resource "aws_iam_role_policy" "task_execution" {
  name = "pull-image-and-log"
  role = aws_iam_role.task_execution.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid      = "EcrAuth"
          Effect   = "Allow"
          Action   = ["ecr:GetAuthorizationToken"]
          Resource = "*" # AWS requires "*": the token is not tied to a repository.
        },
        {
          Sid      = "PullRunnerImage"
          Effect   = "Allow"
          Action   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
          Resource = aws_ecr_repository.this.arn
        },
        {
          Sid      = "WriteRunnerLogs"
          Effect   = "Allow"
          Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
          Resource = "${aws_cloudwatch_log_group.runner.arn}:*"
        },
      ],
      var.kms_key_arn == null ? [] : [{
        Sid      = "DecryptImageLayers"
        Effect   = "Allow"
        Action   = ["kms:Decrypt"]
        Resource = var.kms_key_arn
      }],
    )
  })
}

# The job's own identity inside the task: no permissions unless the operator attaches some,
# except taking its JIT config out of SSM at start-up (runner/entrypoint.sh: read, then delete).
resource "aws_iam_role" "runner" {
  name               = "${var.name_prefix}-runner-task"
  assume_role_policy = local.ecs_tasks_trust
  tags               = var.tags
}

locals {
  # The control plane stores each runner's JIT config at <path>/<runnerId>/<digest>; the same path is its JIT_PARAMETER_PATH.
  jit_parameter_path = "/${var.name_prefix}/jit"
  jit_parameters_arn = "arn:${data.aws_partition.current.partition}:ssm:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:parameter${local.jit_parameter_path}/*"
}

resource "aws_iam_role_policy" "runner_jit_config" {
  name = "take-own-jit-config"
  role = aws_iam_role.runner.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [{
        # By name only, and a name holds a digest of its config, so another runner's cannot be guessed.
        Sid      = "TakeJitConfig"
        Effect   = "Allow"
        Action   = ["ssm:GetParameter", "ssm:DeleteParameter"]
        Resource = local.jit_parameters_arn
        },
        {
          # Whatever runner_task_policy_arns attach (ReadOnlyAccess allows ssm:Get*), no other way to a pending config:
          # no listing by path, no history, no batch reads; no DescribeParameters (it lists names), no DescribeTasks
          # on this cluster (the overrides name each runner's parameter).
          Sid       = "NoOtherWayToJitConfigs"
          Effect    = "Deny"
          NotAction = ["ssm:GetParameter", "ssm:DeleteParameter"]
          Resource  = local.jit_parameters_arn
        },
        {
          # GetParametersByPath is authorized on the path asked for, not on what it returns: a recursive
          # read of /<prefix> or /<prefix>/jit would return every pending config, so it is denied everywhere
          # (a runner never needs it), with DescribeParameters (no resource ARN; it lists names).
          Sid      = "NoListingOfJitConfigs"
          Effect   = "Deny"
          Action   = ["ssm:DescribeParameters", "ssm:GetParametersByPath"]
          Resource = "*"
        },
        {
          # The fleet's own parameters (control-plane module, and the root's descriptor): the GitHub credential,
          # the webhook secret, the class sizes and the descriptor are not the jobs', whatever is attached.
          Sid      = "NoFleetSecrets"
          Effect   = "Deny"
          Action   = ["ssm:*"]
          Resource = [for name in ["github-auth", "webhook-secret", "class-sizes", "fleet"] : "arn:${data.aws_partition.current.partition}:ssm:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:parameter/${var.name_prefix}/${name}"]
        },
        {
          Sid      = "NoReadingOfRunnerTasks"
          Effect   = "Deny"
          Action   = ["ecs:DescribeTasks"]
          Resource = "arn:${data.aws_partition.current.partition}:ecs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:task/${aws_ecs_cluster.this.name}/*"
      }],
      var.kms_key_arn == null ? [] : [{
        # The fleet's key encrypts other secrets too: decrypt only what SSM decrypts for a JIT parameter.
        Sid      = "DecryptJitConfig"
        Effect   = "Allow"
        Action   = ["kms:Decrypt"]
        Resource = var.kms_key_arn
        Condition = {
          StringEquals = { "kms:ViaService" = "ssm.${data.aws_region.current.name}.amazonaws.com" }
          StringLike   = { "kms:EncryptionContext:PARAMETER_ARN" = local.jit_parameters_arn }
        }
      }],
    )
  })
}

resource "aws_iam_role_policy_attachment" "runner" {
  for_each   = toset(var.runner_task_policy_arns)
  role       = aws_iam_role.runner.name
  policy_arn = each.value
}
