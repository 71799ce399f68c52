# Every plan-time validation rejects bad input (issue 3), one run each.

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

run "class_with_invalid_fargate_pair" {
  command = plan
  variables {
    runner_class_sizes = { small = { cpu = 512, memory = 1024 }, odd = { cpu = 1024, memory = 1536 } }
  }
  expect_failures = [var.runner_class_sizes]
}

run "class_with_unknown_cpu" {
  command = plan
  variables {
    runner_class_sizes = { small = { cpu = 3000, memory = 4096 } }
  }
  expect_failures = [var.runner_class_sizes]
}

run "class_name_not_a_label" {
  command = plan
  variables {
    runner_class_sizes = { "Big Box" = { cpu = 512, memory = 1024 } }
    default_class      = "Big Box"
  }
  expect_failures = [var.runner_class_sizes]
}

run "repo_not_owner_slash_name" {
  command = plan
  variables {
    github_repo = "just-a-name"
  }
  expect_failures = [var.github_repo]
}

run "both_pat_and_app" {
  command = plan
  variables {
    github_app = { app_id = 1, private_key = "-----BEGIN RSA PRIVATE KEY-----\nx\n-----END RSA PRIVATE KEY-----" }
  }
  expect_failures = [var.github_app]
}

run "neither_pat_nor_app" {
  command = plan
  variables {
    github_pat = null
  }
  expect_failures = [var.github_app]
}

run "app_key_not_pem" {
  command = plan
  variables {
    github_pat = null
    github_app = { app_id = 1, private_key = "not a key" }
  }
  expect_failures = [var.github_app]
}

run "default_class_missing" {
  command = plan
  variables {
    default_class = "xlarge"
  }
  expect_failures = [var.default_class]
}

run "no_subnets" {
  command = plan
  variables {
    subnet_ids = []
  }
  expect_failures = [var.subnet_ids]
}

run "no_security_groups" {
  command = plan
  variables {
    security_groups = []
  }
  expect_failures = [var.security_groups]
}

run "name_prefix_too_long_for_startedBy" {
  command = plan
  variables {
    name_prefix = "a-prefix-of-twenty-c"
  }
  expect_failures = [var.name_prefix]
}

run "base_image_pattern_with_shell_characters" {
  command = plan
  variables {
    allowed_base_images = ["ubuntu:*", "evil;rm -rf /"]
  }
  expect_failures = [var.allowed_base_images]
}

run "base_image_pattern_upper_case_repository" {
  command = plan
  variables {
    allowed_base_images = ["ubuntu:*", "Ubuntu:*"]
  }
  expect_failures = [var.allowed_base_images]
}

run "base_image_pattern_empty_path_part" {
  command = plan
  variables {
    allowed_base_images = ["ubuntu:*", "ubuntu//*"]
  }
  expect_failures = [var.allowed_base_images]
}

run "base_image_pattern_dot_dot_path_part" {
  command = plan
  variables {
    allowed_base_images = ["ubuntu:*", "library/../ubuntu:*"]
  }
  expect_failures = [var.allowed_base_images]
}

run "base_image_pattern_host_with_underscore" {
  command = plan
  variables {
    allowed_base_images = ["ubuntu:*", "exa_mple.com/ubuntu:*"]
  }
  expect_failures = [var.allowed_base_images]
}

run "base_image_pattern_unknown_digest_algorithm" {
  command = plan
  variables {
    allowed_base_images = ["ubuntu:*", "ubuntu@md5:1234"]
  }
  expect_failures = [var.allowed_base_images]
}

run "base_image_pattern_non_numeric_port" {
  command = plan
  variables {
    allowed_base_images = ["ubuntu:*", "registry.example.com:http/ubuntu"]
  }
  expect_failures = [var.allowed_base_images]
}

run "base_image_pattern_tag_starting_with_dot" {
  command = plan
  variables {
    allowed_base_images = ["ubuntu:*", "ubuntu:.24"]
  }
  expect_failures = [var.allowed_base_images]
}

run "base_image_patterns_naming_registries_ports_ipv6_hosts_and_digests" {
  command = plan
  variables {
    allowed_base_images = [
      "ubuntu:*",
      "debian",
      "*",
      "localhost:5000/team/*",
      "[::1]:5000/ubuntu:*",
      "registry.example.com:*/team/debian:bookworm*",
      "*.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/library/ubuntu:2?.04",
      "public.ecr.aws/docker/library/*",
      "ubuntu@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "ubuntu:24.04@*",
    ]
  }
  assert {
    condition     = length(var.allowed_base_images) == 10
    error_message = "Well-formed patterns must pass the allowed_base_images validation."
  }
}

run "short_webhook_secret" {
  command = plan
  variables {
    webhook_secret = "short"
  }
  expect_failures = [var.webhook_secret]
}

run "aws_region_differs_from_provider" {
  command = plan
  variables {
    aws_region = "us-east-1"
  }
  expect_failures = [data.aws_region.current]
}

run "aws_region_matching_the_provider_plans" {
  command = plan
  variables {
    aws_region = "eu-west-1"
  }
  assert {
    condition     = startswith(output.cli_environment, "export AWS_REGION=eu-west-1\n")
    error_message = "A matching aws_region must plan and appear in the outputs."
  }
}

run "max_job_duration_below_a_minute" {
  command = plan
  variables {
    max_job_duration_minutes = 0
  }
  expect_failures = [var.max_job_duration_minutes]
}

run "stop_timeout_over_fargate_max" {
  command = plan
  variables {
    runner_stop_timeout = 121
  }
  expect_failures = [var.runner_stop_timeout]
}

run "webhook_allowed_cidr_without_prefix" {
  command = plan
  variables {
    webhook_allowed_cidrs = ["192.30.252.0/22", "192.30.252.1"]
  }
  expect_failures = [var.webhook_allowed_cidrs]
}

run "webhook_allowed_cidr_prefix_too_long" {
  command = plan
  variables {
    webhook_allowed_cidrs = ["2606:50c0::/129"]
  }
  expect_failures = [var.webhook_allowed_cidrs]
}

run "webhook_allowed_cidr_not_an_address" {
  command = plan
  variables {
    webhook_allowed_cidrs = ["hooks.github.com/22"]
  }
  expect_failures = [var.webhook_allowed_cidrs]
}

run "alarm_sns_topic_arn_must_be_an_sns_arn" {
  command = plan
  variables {
    alarm_sns_topic_arn = "arn:aws:sqs:eu-west-1:123456789012:not-a-topic"
  }
  expect_failures = [var.alarm_sns_topic_arn]
}

run "alarm_queue_minutes_must_be_whole_minutes" {
  command = plan
  variables {
    alarm_queue_minutes = 2.5
  }
  expect_failures = [var.alarm_queue_minutes]
}
