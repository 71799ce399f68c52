# The fleet descriptor (/<name_prefix>/fleet): one String parameter from which ecsrunner finds
# the whole deployment (--fleet / ECSRUNNER_FLEET). Its fields are the CLI's contract
# (core/src/fleet-descriptor.ts).

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
  name_prefix     = "ci-fleet"
  max_runners     = 25
  lambda_zip      = "tests/fixtures/control-plane.zip"
}

run "descriptor_describes_the_deployment" {
  command = plan

  assert {
    condition     = aws_ssm_parameter.fleet.name == "/ci-fleet/fleet" && aws_ssm_parameter.fleet.type == "String"
    error_message = "The descriptor must be the String parameter /<name_prefix>/fleet (ecsrunner derives the name from --fleet)."
  }

  assert {
    condition = jsondecode(aws_ssm_parameter.fleet.value) == {
      version            = 1
      namePrefix         = "ci-fleet"
      runnerNamePrefix   = "ci-fleet"
      region             = "eu-west-1"
      runnerTable        = "ci-fleet-runners"
      classSizesParam    = "/ci-fleet/class-sizes"
      githubAuthParam    = "/ci-fleet/github-auth"
      cluster            = module.ecs_fleet.cluster_name
      lambdaFunction     = "ci-fleet-control-plane"
      lambdaLogGroup     = "/aws/lambda/ci-fleet-control-plane"
      runnerLogGroup     = module.ecs_fleet.log_group_name
      eventBus           = "ci-fleet-events"
      deadLetterQueueUrl = "https://sqs.eu-west-1.amazonaws.com/123456789012/mock"
      deadLetterQueueArn = "arn:aws:sqs:eu-west-1:123456789012:mock"
      webhookUrl         = "https://abc123.execute-api.eu-west-1.amazonaws.com/webhook"
      github             = { apiUrl = "https://api.github.com", repo = "octo-org/octo-repo", scope = "repo" }
      runnerVersion      = "2.335.1"
      maxRunners         = 25
    }
    error_message = "The descriptor must hold every field ecsrunner reads (core/src/fleet-descriptor.ts), from this deployment's resources."
  }

  assert {
    condition     = output.fleet_descriptor_parameter_name == "/ci-fleet/fleet" && strcontains(output.cli_environment, "export ECSRUNNER_FLEET=ci-fleet")
    error_message = "The descriptor's name must be an output, and cli_environment must export ECSRUNNER_FLEET."
  }

  assert {
    condition     = !strcontains(aws_ssm_parameter.fleet.value, "ghp_") && !strcontains(aws_ssm_parameter.fleet.value, var.webhook_secret)
    error_message = "The descriptor is a plain String parameter: it must carry names and URLs only, never a secret."
  }
}
