# Each optional feature on and off (issue 3).

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

run "dynamic_images_off_by_default" {
  command = plan
  assert {
    condition     = output.image_build_project_name == null && module.control_plane.lambda_environment.IMAGE_BUILD_PROJECT == ""
    error_message = "Without image_build_project there is no CodeBuild project and IMAGE_BUILD_PROJECT is empty."
  }
}

run "webhook_allow_list_off_by_default" {
  command = plan
  assert {
    condition     = module.control_plane.lambda_environment.WEBHOOK_ALLOWED_CIDRS == ""
    error_message = "Without webhook_allowed_cidrs the allow-list is off (WEBHOOK_ALLOWED_CIDRS is empty)."
  }
}

run "webhook_allow_list_on" {
  command = plan
  variables {
    webhook_allowed_cidrs = ["192.30.252.0/22", "2606:50c0::/32"]
  }
  assert {
    condition     = module.control_plane.lambda_environment.WEBHOOK_ALLOWED_CIDRS == "192.30.252.0/22,2606:50c0::/32"
    error_message = "webhook_allowed_cidrs must reach the Lambda as WEBHOOK_ALLOWED_CIDRS, comma-separated, IPv4 and IPv6."
  }
}

run "dynamic_images_on" {
  command = plan
  variables {
    image_build_project = "runner-images"
    allowed_base_images = ["ubuntu:*"]
  }
  assert {
    condition     = output.image_build_project_name == "runner-images" && module.control_plane.lambda_environment.ALLOWED_BASE_IMAGES == "ubuntu:*"
    error_message = "image_build_project turns dynamic images on."
  }
}

run "github_app_instead_of_pat" {
  command = plan
  variables {
    github_pat = null
    github_app = { app_id = 12345, private_key = "-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----", installation_id = 678 }
  }
  assert {
    condition     = module.control_plane.lambda_environment.GITHUB_AUTH_PARAM == "/runner-fleet/github-auth"
    error_message = "A GitHub App is stored in the same SecureString parameter."
  }
}

run "public_ip_and_names" {
  command = plan
  variables {
    assign_public_ip         = true
    name_prefix              = "ci"
    event_bus_name           = "custom-bus"
    max_runners              = 7
    idle_timeout_minutes     = 3
    max_job_duration_minutes = 90
    runner_extra_labels      = ["gpu-free"]
  }
  assert {
    condition = (
      module.control_plane.lambda_environment.ASSIGN_PUBLIC_IP == "true" &&
      module.control_plane.lambda_environment.RUNNER_NAME_PREFIX == "ci" &&
      module.control_plane.lambda_environment.RUNNER_TABLE == "ci-runners" &&
      output.event_bus_name == "custom-bus" &&
      module.control_plane.lambda_environment.MAX_RUNNERS == "7" &&
      module.control_plane.lambda_environment.IDLE_TIMEOUT_SECONDS == "180" &&
      module.control_plane.lambda_environment.MAX_JOB_SECONDS == "5400" &&
      module.control_plane.lambda_environment.RUNNER_EXTRA_LABELS == "gpu-free"
    )
    error_message = "Settings must reach the Lambda's environment."
  }
}

run "dashboard_on_by_default_and_off_on_request" {
  command = plan
  assert {
    condition     = output.dashboard_name == "runner-fleet"
    error_message = "create_dashboard defaults to true."
  }
}

run "dashboard_off" {
  command = plan
  variables {
    create_dashboard    = false
    alarm_sns_topic_arn = "arn:aws:sns:eu-west-1:123456789012:on-call"
    alarm_queue_minutes = 20
  }
  assert {
    condition     = output.dashboard_name == null
    error_message = "create_dashboard = false creates no dashboard."
  }
}
