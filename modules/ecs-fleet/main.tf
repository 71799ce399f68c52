data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  task_family = "${var.name_prefix}-runner"
}

resource "aws_ecs_cluster" "this" {
  name = var.name_prefix

  setting {
    name  = "containerInsights"
    value = "enabled"
  }

  tags = var.tags
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

resource "aws_ecr_repository" "this" {
  name                 = "${var.name_prefix}-runner"
  image_tag_mutability = "MUTABLE"
  force_delete         = false

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = var.kms_key_arn
  }

  tags = var.tags
}

resource "aws_ecr_lifecycle_policy" "this" {
  repository = aws_ecr_repository.this.name
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Expire untagged images after 7 days"
        selection    = { tagStatus = "untagged", countType = "sinceImagePushed", countUnit = "days", countNumber = 7 }
        action       = { type = "expire" }
      },
      {
        # Only images built for image: labels (tag prefix img-, see core DYNAMIC_TAG_PREFIX): the default
        # image never matches. One a waiting runner needs is rebuilt (the Lambda re-checks ECR after a TTL).
        rulePriority = 2
        description  = "Expire image: label builds ${var.dynamic_image_expiry_days} days after their push"
        selection    = { tagStatus = "tagged", tagPatternList = ["img-*"], countType = "sinceImagePushed", countUnit = "days", countNumber = var.dynamic_image_expiry_days }
        action       = { type = "expire" }
      },
    ]
  })
}

resource "aws_cloudwatch_log_group" "runner" {
  name              = "/ecs/${var.name_prefix}/runner"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_ecs_task_definition" "runner" {
  family                   = local.task_family
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(var.default_size.cpu)
  memory                   = tostring(var.default_size.memory)
  execution_role_arn       = aws_iam_role.task_execution.arn
  task_role_arn            = aws_iam_role.runner.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.runner_architecture
  }

  container_definitions = jsonencode([
    {
      name      = var.runner_container_name
      image     = "${aws_ecr_repository.this.repository_url}:${var.runner_image_tag}"
      essential = true
      # Fargate sends SIGTERM, then SIGKILL after this many seconds: run.sh turns SIGTERM into the
      # listener's SIGINT, which cancels the job and reports it; this is its time to do so.
      stopTimeout = var.runner_stop_timeout
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.runner.name
          awslogs-region        = data.aws_region.current.name
          awslogs-stream-prefix = "runner"
        }
      }
    }
  ])

  tags = var.tags
}
