# The usage platform teams already write (issue 3) must plan unchanged, and the
# Lambda must get exactly the environment DESIGN §7 names.

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

variables {
  github_pat          = "ghp_0123456789abcdefghijklmnopqrstuvwxyz"
  github_repo         = "octo-org/octo-repo"
  subnet_ids          = ["subnet-0a1b2c3d", "subnet-4e5f6a7b"]
  security_groups     = ["sg-0123456789abcdef0"]
  webhook_secret      = "0123456789abcdef0123456789abcdef"
  image_build_project = "image_builder"
  runner_class_sizes = {
    small  = { cpu = 512, memory = 1024 }
    medium = { cpu = 1024, memory = 2048 }
    large  = { cpu = 2048, memory = 4096 }
  }
  lambda_zip = "tests/fixtures/control-plane.zip"
}

run "seed_usage_plans" {
  command = plan

  assert {
    condition = sort(keys(module.control_plane.lambda_environment)) == sort([
      "RUNNER_TABLE", "CLASS_SIZES_PARAM", "GITHUB_REPO", "GITHUB_AUTH_PARAM", "WEBHOOK_SECRET_PARAM",
      "GITHUB_API_URL", "EVENT_BUS_NAME", "ECS_CLUSTER", "SUBNET_IDS", "SECURITY_GROUP_IDS", "ASSIGN_PUBLIC_IP",
      "RUNNER_TASK_DEFINITION", "RUNNER_CONTAINER_NAME", "ECR_REPOSITORY_URL", "IMAGE_BUILD_PROJECT", "IMAGE_CONTEXT_HASH", "RUNNER_IMAGE_TAG",
      "DEFAULT_CLASS", "MAX_RUNNERS", "IDLE_TIMEOUT_SECONDS", "MAX_JOB_SECONDS", "RUNNER_NAME_PREFIX", "RUNNER_ARCHITECTURE", "ALLOWED_BASE_IMAGES",
      "RUNNER_EXTRA_LABELS", "RUNNER_GROUP_ID", "RECORD_RETENTION_DAYS", "LOG_LEVEL", "JIT_PARAMETER_PATH", "JIT_KMS_KEY_ID",
      "WEBHOOK_ALLOWED_CIDRS",
    ])
    error_message = "The Lambda environment must hold exactly the DESIGN §7 names (plus MAX_JOB_SECONDS, RUNNER_GROUP_ID, RECORD_RETENTION_DAYS, IMAGE_CONTEXT_HASH, RUNNER_IMAGE_TAG, LOG_LEVEL, JIT_PARAMETER_PATH, JIT_KMS_KEY_ID, WEBHOOK_ALLOWED_CIDRS)."
  }

  assert {
    condition = (
      module.control_plane.lambda_environment.GITHUB_REPO == "octo-org/octo-repo" &&
      module.control_plane.lambda_environment.SUBNET_IDS == "subnet-0a1b2c3d,subnet-4e5f6a7b" &&
      module.control_plane.lambda_environment.SECURITY_GROUP_IDS == "sg-0123456789abcdef0" &&
      module.control_plane.lambda_environment.IMAGE_BUILD_PROJECT == "image_builder" &&
      can(regex("^[0-9a-f]{64}$", module.control_plane.lambda_environment.IMAGE_CONTEXT_HASH)) &&
      module.control_plane.lambda_environment.DEFAULT_CLASS == "small" &&
      module.control_plane.lambda_environment.RUNNER_NAME_PREFIX == "runner-fleet" &&
      module.control_plane.lambda_environment.RUNNER_ARCHITECTURE == "X86_64" &&
      module.control_plane.lambda_environment.IDLE_TIMEOUT_SECONDS == "600" &&
      module.control_plane.lambda_environment.MAX_JOB_SECONDS == "25200" &&
      module.control_plane.lambda_environment.ASSIGN_PUBLIC_IP == "false"
    )
    error_message = "The Lambda environment does not carry the seed usage's settings."
  }

  assert {
    condition     = jsondecode(module.control_plane.class_sizes_json) == { small = { cpu = 512, memory = 1024, spot = false }, medium = { cpu = 1024, memory = 2048, spot = false }, large = { cpu = 2048, memory = 4096, spot = false } }
    error_message = "The class-sizes parameter must hold the class map as DESIGN §5's JSON."
  }

  assert {
    condition     = output.image_build_project_name == "image_builder"
    error_message = "image_build_project must create the CodeBuild project of that name."
  }

  assert {
    condition     = output.webhook_url == "https://abc123.execute-api.eu-west-1.amazonaws.com/webhook"
    error_message = "webhook_url must be the stage URL with /webhook."
  }

  assert {
    condition     = output.cli_environment == "export AWS_REGION=eu-west-1\nexport ECSRUNNER_FLEET=runner-fleet\nexport RUNNER_TABLE=runner-fleet-runners\nexport CLASS_SIZES_PARAM=/runner-fleet/class-sizes\nexport RUNNER_LOG_GROUP=/ecs/runner-fleet/runner\nexport MAX_RUNNERS=100"
    error_message = "cli_environment must export what ecsrunner needs."
  }
}
