data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  # The image's inputs: runner/ without its tests (test/**) and docs (*.md), so those rebuild nothing.
  # sandbox/src/context-hash.ts applies the same rule; a test checks that both agree.
  context_files = sort([for f in fileset(var.build_context_dir, "**") : f if !startswith(f, "test/") && !endswith(f, ".md")])
  context_hash  = sha256(join("", [for f in local.context_files : filesha256("${var.build_context_dir}/${f}")]))
  # Part of every image tag (IMAGE_CONTEXT_HASH): a change to runner/, the architecture or the runner
  # version gives every image a new tag (core buildIdentity computes the same value).
  image_identity = sha256("${local.context_hash}\n${var.runner_architecture}\n${var.runner_version}")
  docker_arch    = var.runner_architecture == "ARM64" ? "arm64" : "amd64"
  registry       = split("/", var.ecr_repository_url)[0]

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
      variables = {
        BASE_IMAGE           = var.default_base_image
        IMAGE_TAG            = "latest"
        RUNNER_VERSION       = var.runner_version
        RUNNER_DOWNLOAD_BASE = var.runner_download_base
        TARGETARCH           = local.docker_arch
        # Empty: the Dockerfile's pinned checksum (right only for its pinned version).
        RUNNER_SHA256_X64   = var.runner_architecture == "X86_64" ? (var.runner_sha256 == null ? "" : var.runner_sha256) : ""
        RUNNER_SHA256_ARM64 = var.runner_architecture == "ARM64" ? (var.runner_sha256 == null ? "" : var.runner_sha256) : ""
      }
    }
    phases = {
      pre_build = {
        commands = concat(local.write_context, [
          "aws ecr get-login-password --region \"$AWS_REGION\" | docker login --username AWS --password-stdin ${local.registry}",
        ])
      }
      build = {
        commands = [
          "docker build --pull --build-arg BASE_IMAGE=\"$BASE_IMAGE\" --build-arg RUNNER_VERSION=\"$RUNNER_VERSION\" --build-arg RUNNER_DOWNLOAD_BASE=\"$RUNNER_DOWNLOAD_BASE\" --build-arg TARGETARCH=\"$TARGETARCH\" $${RUNNER_SHA256_X64:+--build-arg RUNNER_SHA256_X64=\"$RUNNER_SHA256_X64\"} $${RUNNER_SHA256_ARM64:+--build-arg RUNNER_SHA256_ARM64=\"$RUNNER_SHA256_ARM64\"} --tag \"${var.ecr_repository_url}:$IMAGE_TAG\" /tmp/context",
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
    Statement = concat([
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
      ], var.docker_hub_pull_through_cache == null ? [] : [
      {
        # Pulling FROM <registry>/<prefix>/... creates the cache repository and imports the image on first use.
        Sid      = "PullThroughDockerHubCache"
        Effect   = "Allow"
        Action   = ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
        Resource = "arn:${data.aws_partition.current.partition}:ecr:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:repository/${var.docker_hub_pull_through_cache.ecr_repository_prefix}/*"
      },
    ])
  })
}

resource "aws_ecr_pull_through_cache_rule" "docker_hub" {
  count = var.docker_hub_pull_through_cache == null ? 0 : 1

  ecr_repository_prefix = var.docker_hub_pull_through_cache.ecr_repository_prefix
  upstream_registry_url = "registry-1.docker.io"
  credential_arn        = var.docker_hub_pull_through_cache.secret_arn
}
