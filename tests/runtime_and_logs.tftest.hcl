# Issue 12 item 5: the Lambda runtime input, Spot refused on ARM64, and an API access-log
# format built only from documented HTTP API $context variables.

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

variables {
  github_pat      = "ghp_0123456789abcdefghijklmnopqrstuvwxyz"
  github_repo     = "octo-org/octo-repo"
  subnet_ids      = ["subnet-0a1b2c3d"]
  security_groups = ["sg-0123456789abcdef0"]
  webhook_secret  = "0123456789abcdef0123456789abcdef"
  lambda_zip      = "tests/fixtures/control-plane.zip"
}

run "runtime_outside_the_supported_set_is_refused" {
  command = plan
  variables {
    lambda_runtime = "nodejs18.x"
  }
  expect_failures = [var.lambda_runtime]
}

run "spot_class_on_arm64_is_refused" {
  command = plan
  variables {
    runner_architecture = "ARM64"
    runner_class_sizes  = { small = { cpu = 512, memory = 1024 }, cheap = { cpu = 1024, memory = 2048, spot = true } }
  }
  expect_failures = [var.runner_architecture]
}

run "arm64_without_spot_is_accepted" {
  command = plan
  variables {
    runner_architecture = "ARM64"
  }
  assert {
    condition     = module.control_plane.lambda_environment.RUNNER_ARCHITECTURE == "ARM64"
    error_message = "The Lambda must know the fleet's architecture (RUNNER_ARCHITECTURE) to check x64/arm64 labels."
  }
}

run "spot_on_x86_64_is_accepted" {
  command = plan
  variables {
    runner_class_sizes = { small = { cpu = 512, memory = 1024, spot = true } }
  }
}

run "runtime_nodejs20_reaches_the_function" {
  command = plan
  module {
    source = "./modules/control-plane"
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
    lambda_runtime      = "nodejs20.x"
  }
  assert {
    condition     = aws_lambda_function.this.runtime == "nodejs20.x"
    error_message = "lambda_runtime should reach the function."
  }
}

run "control_plane_defaults_to_nodejs22_and_logs_only_documented_context_variables" {
  command = plan
  module {
    source = "./modules/control-plane"
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
  }
  assert {
    condition     = length(regexall("\\$request\\.", aws_apigatewayv2_stage.this.access_log_settings[0].format)) == 0
    error_message = "HTTP API access logs cannot read request headers ($request.*); use $context variables only."
  }
  assert {
    condition = alltrue([for v in regexall("\\$[A-Za-z][A-Za-z0-9.]*", aws_apigatewayv2_stage.this.access_log_settings[0].format) : contains([
      "$context.requestId", "$context.identity.sourceIp", "$context.requestTime", "$context.routeKey",
      "$context.status", "$context.responseLength", "$context.integrationLatency",
      "$context.identity.userAgent", "$context.error.message", "$context.integrationErrorMessage",
    ], v)])
    error_message = "Every access-log variable must be one of the documented HTTP API $context variables listed here."
  }
  assert {
    condition     = aws_lambda_function.this.runtime == "nodejs22.x"
    error_message = "The control plane should default to nodejs22.x."
  }
}
