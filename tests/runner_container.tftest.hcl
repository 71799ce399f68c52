# The runner container's stop timeout (issue 11): Fargate's SIGTERM-to-SIGKILL window, in which
# run.sh has the listener cancel its job.

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

variables {
  name_prefix  = "fleet"
  default_size = { cpu = 512, memory = 1024 }
}

run "stop_timeout_defaults_to_fargates_max" {
  command = plan
  module {
    source = "./modules/ecs-fleet"
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.runner.container_definitions)[0].stopTimeout == 120
    error_message = "The runner container's stopTimeout defaults to 120 s, Fargate's maximum."
  }
}

run "stop_timeout_is_configurable" {
  command = plan
  module {
    source = "./modules/ecs-fleet"
  }
  variables {
    runner_stop_timeout = 45
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.runner.container_definitions)[0].stopTimeout == 45
    error_message = "The runner container's stopTimeout is var.runner_stop_timeout."
  }
}

run "stop_timeout_over_fargates_max_is_rejected" {
  command = plan
  module {
    source = "./modules/ecs-fleet"
  }
  variables {
    runner_stop_timeout = 121
  }
  expect_failures = [var.runner_stop_timeout]
}
