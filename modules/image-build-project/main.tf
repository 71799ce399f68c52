data "aws_region" "current" {}

locals {
  context_files = sort(tolist(fileset(var.build_context_dir, "**")))
  # Part of every image tag (IMAGE_CONTEXT_HASH): a change to runner/ rebuilds every image.
  context_hash = sha256(join("", [for f in local.context_files : filesha256("${var.build_context_dir}/${f}")]))
  registry     = split("/", var.ecr_repository_url)[0]

  # The build context travels inside the buildspec, base64-encoded (only [A-Za-z0-9+/=]), so no
  # source bucket or archive provider is needed. A changed file changes the project.
  write_context = concat(
    ["mkdir -p /tmp/context"],
    flatten([for f in local.context_files : [
      "mkdir -p \"/tmp/context/$(dirname '${f}')\"",
      "printf '%s' '${filebase64("${var.build_context_dir}/${f}")}' | base64 -d > '/tmp/context/${f}'",
    ]]),
  )

  buildspec = yamlencode({
    version = "0.2"
    env = {
      variables = { BASE_IMAGE = "ubuntu:22.04", IMAGE_TAG = "latest" }
    }
    phases = {
      pre_build = {
        commands = concat(local.write_context, [
          "aws ecr get-login-password --region \"$AWS_REGION\" | docker login --username AWS --password-stdin ${local.registry}",
        ])
      }
      build = {
        commands = [
          "docker build --pull --build-arg BASE_IMAGE=\"$BASE_IMAGE\" --tag \"${var.ecr_repository_url}:$IMAGE_TAG\" /tmp/context",
        ]
      }
      post_build = {
        commands = [
          "test \"$CODEBUILD_BUILD_SUCCEEDING\" = 1 && docker push \"${var.ecr_repository_url}:$IMAGE_TAG\"",
        ]
      }
    }
  })
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/codebuild/${var.project_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_codebuild_project" "this" {
  name          = var.project_name
  description   = "Builds the runner image FROM a base image (env BASE_IMAGE) and pushes it as IMAGE_TAG."
  service_role  = aws_iam_role.this.arn
  build_timeout = var.build_timeout_minutes

  artifacts {
    type = "NO_ARTIFACTS"
  }

  environment {
    compute_type    = var.compute_type
    image           = var.runner_architecture == "ARM64" ? "aws/codebuild/amazonlinux-aarch64-standard:3.0" : "aws/codebuild/amazonlinux-x86_64-standard:5.0"
    type            = var.runner_architecture == "ARM64" ? "ARM_CONTAINER" : "LINUX_CONTAINER"
    privileged_mode = true # docker build needs the Docker daemon
  }

  source {
    type      = "NO_SOURCE"
    buildspec = local.buildspec
  }

  logs_config {
    cloudwatch_logs {
      group_name = aws_cloudwatch_log_group.this.name
    }
  }

  tags = var.tags
}

resource "aws_iam_role" "this" {
  name = "${var.name_prefix}-image-build"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "codebuild.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "this" {
  name = "build-and-push-runner-images"
  role = aws_iam_role.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "BuildLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "${aws_cloudwatch_log_group.this.arn}:*"
      },
      {
        Sid      = "EcrAuth"
        Effect   = "Allow"
        Action   = ["ecr:GetAuthorizationToken"]
        Resource = "*" # AWS requires "*": the token is not tied to a repository.
      },
      {
        Sid      = "PushRunnerImages"
        Effect   = "Allow"
        Action   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage"]
        Resource = var.ecr_repository_arn
      },
    ]
  })
}
