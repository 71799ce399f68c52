# Image identity, base images and lifetime (issue 11 B and C).

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

variables {
  github_pat          = "ghp_0123456789abcdefghijklmnopqrstuvwxyz"
  github_repo         = "octo-org/octo-repo"
  subnet_ids          = ["subnet-0a1b2c3d"]
  security_groups     = ["sg-0123456789abcdef0"]
  webhook_secret      = "0123456789abcdef0123456789abcdef"
  lambda_zip          = "tests/fixtures/control-plane.zip"
  image_build_project = "runner-images"
}

run "defaults_pull_from_ecr_public_and_tag_the_default_image_by_identity" {
  command = plan
  assert {
    condition     = alltrue([for p in var.allowed_base_images : startswith(p, "public.ecr.aws/docker/library/")])
    error_message = "The default allowed_base_images are ECR Public's mirror of the Docker official images."
  }
  assert {
    condition     = strcontains(module.image_build_project[0].buildspec, "public.ecr.aws/docker/library/ubuntu:22.04") && strcontains(module.image_build_project[0].buildspec, "RUNNER_VERSION")
    error_message = "The buildspec's default BASE_IMAGE is ECR Public's ubuntu:22.04 and it passes RUNNER_VERSION."
  }
  assert {
    condition     = module.control_plane.lambda_environment.RUNNER_IMAGE_TAG == "latest-${substr(module.image_build_project[0].image_identity, 0, 16)}" && module.control_plane.lambda_environment.IMAGE_CONTEXT_HASH == module.image_build_project[0].image_identity
    error_message = "With builds on, the default tag and IMAGE_CONTEXT_HASH name the build identity."
  }
  assert {
    condition     = length(module.image_build_project[0].pull_through_cache_rules) == 0
    error_message = "No pull-through cache rule unless asked for."
  }
}

run "runner_version_changes_the_identity" {
  command = plan
  variables {
    runner_version = "2.336.0"
    runner_sha256  = "0000000000000000000000000000000000000000000000000000000000000000"
  }
  assert {
    condition     = module.image_build_project[0].image_identity == sha256("${module.image_build_project[0].context_hash}\nX86_64\n2.336.0")
    error_message = "image_identity is sha256 of context hash, architecture and runner version."
  }
}

run "docker_hub_pull_through_cache" {
  command = plan
  variables {
    docker_hub_pull_through_cache = { secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ecr-pullthroughcache/docker-hub-AbCdEf" }
  }
  assert {
    condition     = module.image_build_project[0].pull_through_cache_rules == ["docker-hub"]
    error_message = "A Docker Hub pull-through cache rule under docker-hub/ is created."
  }
}

run "pull_through_secret_without_the_required_prefix" {
  command = plan
  variables {
    docker_hub_pull_through_cache = { secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:dockerhub-AbCdEf" }
  }
  expect_failures = [var.docker_hub_pull_through_cache]
}

run "runner_version_with_a_v" {
  command = plan
  variables {
    runner_version = "v2.335.1"
  }
  expect_failures = [var.runner_version]
}

run "default_tag_in_the_expiring_prefix" {
  command = plan
  variables {
    runner_image_tag = "img-default"
  }
  expect_failures = [var.runner_image_tag]
}
