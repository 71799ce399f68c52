data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  function_name           = "${var.name_prefix}-control-plane"
  create_image_build_rule = var.image_build_project != null

  # The same patterns the sandbox loads, so local tests route events as the deployed rules do.
  event_patterns = jsondecode(templatefile("${path.module}/event-patterns.json", {
    cluster_arn         = var.fleet.cluster_arn
    runner_name_prefix  = var.name_prefix
    image_build_project = try(var.image_build_project.name, "")
  }))

  class_sizes_json = jsonencode({
    for name, size in var.runners.class_sizes : name => { cpu = size.cpu, memory = size.memory, spot = size.spot }
  })

  lambda_environment = {
    RUNNER_TABLE           = aws_dynamodb_table.this.name
    CLASS_SIZES_PARAM      = aws_ssm_parameter.class_sizes.name
    GITHUB_REPO            = var.github.repo
    GITHUB_AUTH_PARAM      = aws_ssm_parameter.github_auth.name
    WEBHOOK_SECRET_PARAM   = aws_ssm_parameter.webhook_secret.name
    GITHUB_API_URL         = var.github.api_url
    EVENT_BUS_NAME         = aws_cloudwatch_event_bus.this.name
    ECS_CLUSTER            = var.fleet.cluster_name
    SUBNET_IDS             = join(",", var.network.subnet_ids)
    SECURITY_GROUP_IDS     = join(",", var.network.security_group_ids)
    ASSIGN_PUBLIC_IP       = tostring(var.network.assign_public_ip)
    RUNNER_TASK_DEFINITION = var.fleet.task_definition_family
    RUNNER_CONTAINER_NAME  = var.fleet.runner_container_name
    ECR_REPOSITORY_URL     = var.fleet.ecr_repository_url
    IMAGE_BUILD_PROJECT    = try(var.image_build_project.name, "")
    IMAGE_CONTEXT_HASH     = try(var.image_build_project.context_hash, "")
    RUNNER_IMAGE_TAG       = var.fleet.runner_image_tag
    DEFAULT_CLASS          = var.runners.default_class
    MAX_RUNNERS            = tostring(var.runners.max_runners)
    IDLE_TIMEOUT_SECONDS   = tostring(var.runners.idle_timeout_seconds)
    MAX_JOB_SECONDS        = tostring(var.runners.max_job_seconds)
    RUNNER_NAME_PREFIX     = var.name_prefix
    RUNNER_ARCHITECTURE    = var.fleet.runner_architecture
    ALLOWED_BASE_IMAGES    = join(",", var.runners.allowed_base_images)
    RUNNER_EXTRA_LABELS    = join(",", var.runners.extra_labels)
    RUNNER_GROUP_ID        = tostring(var.github.runner_group_id)
    RECORD_RETENTION_DAYS  = tostring(var.record_retention_days)
    JIT_PARAMETER_PATH     = local.jit_parameter_path
    JIT_KMS_KEY_ID         = var.kms_key_arn == null ? "" : var.kms_key_arn
    LOG_LEVEL              = var.log_level
    WEBHOOK_ALLOWED_CIDRS  = join(",", var.webhook_allowed_cidrs)
  }
}

resource "aws_dynamodb_table" "this" {
  name                        = "${var.name_prefix}-runners"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "runnerId"
  deletion_protection_enabled = var.table_deletion_protection

  # Dispatch reads the table's stream (stream.tf): the new image of each write is what it hands off.
  stream_enabled   = true
  stream_view_type = "NEW_IMAGE"

  attribute {
    name = "runnerId"
    type = "S"
  }
  attribute {
    name = "status"
    type = "S"
  }
  attribute {
    name = "createdAt"
    type = "S"
  }

  # Sparse: only runners waiting to be dispatched again carry `waiting` (with `retryAt`).
  attribute {
    name = "waiting"
    type = "S"
  }
  attribute {
    name = "retryAt"
    type = "S"
  }

  global_secondary_index {
    name            = "status-index"
    hash_key        = "status"
    range_key       = "createdAt"
    projection_type = "ALL"
  }

  global_secondary_index {
    name            = "retry-index"
    hash_key        = "waiting"
    range_key       = "retryAt"
    projection_type = "ALL"
  }

  ttl {
    attribute_name = "expiresAt"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  tags = var.tags
}

resource "aws_ssm_parameter" "class_sizes" {
  name        = "/${var.name_prefix}/class-sizes"
  description = "Runner class sizes (cpu units, memory MiB, spot), read by the control plane and ecsrunner."
  type        = "String"
  value       = local.class_sizes_json
  tags        = var.tags
}

resource "aws_ssm_parameter" "github_auth" {
  name        = "/${var.name_prefix}/github-auth"
  description = "GitHub PAT or App credentials of the runner fleet."
  type        = "SecureString"
  key_id      = var.kms_key_arn
  value       = var.github_auth
  tags        = var.tags
}

resource "aws_ssm_parameter" "webhook_secret" {
  name        = "/${var.name_prefix}/webhook-secret"
  description = "GitHub webhook secret(s) of the runner fleet, one per line."
  type        = "SecureString"
  key_id      = var.kms_key_arn
  value       = var.webhook_secret
  tags        = var.tags
}

resource "aws_sqs_queue" "dead_letter" {
  name                      = "${var.name_prefix}-dead-letter"
  message_retention_seconds = 1209600
  kms_master_key_id         = var.kms_key_arn
  sqs_managed_sse_enabled   = var.kms_key_arn == null ? true : null
  tags                      = var.tags
}

resource "aws_sqs_queue_policy" "dead_letter" {
  queue_url = aws_sqs_queue.dead_letter.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "EventBridgeDeadLetters"
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.dead_letter.arn
      Condition = {
        ArnEquals = { "aws:SourceArn" = concat([for r in aws_cloudwatch_event_rule.this : r.arn], [for r in aws_cloudwatch_event_rule.image_build : r.arn]) }
      }
    }]
  })
}
