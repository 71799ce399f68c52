# The fleet descriptor (README, "Finding the fleet"): one SSM parameter that describes this
# deployment, so ecsrunner finds everything from --fleet <name_prefix> / ECSRUNNER_FLEET.
# Names and URLs only, no secrets. Nothing in the control plane reads it.
locals {
  fleet_descriptor = {
    version            = 1
    namePrefix         = var.name_prefix
    runnerNamePrefix   = var.name_prefix
    region             = coalesce(var.aws_region, data.aws_region.current.name)
    runnerTable        = module.control_plane.runner_table_name
    classSizesParam    = module.control_plane.class_sizes_parameter_name
    githubAuthParam    = module.control_plane.lambda_environment.GITHUB_AUTH_PARAM
    cluster            = module.ecs_fleet.cluster_name
    lambdaFunction     = module.control_plane.lambda_function_name
    lambdaLogGroup     = module.control_plane.lambda_log_group_name
    runnerLogGroup     = module.ecs_fleet.log_group_name
    eventBus           = module.control_plane.event_bus_name
    deadLetterQueueUrl = module.control_plane.dead_letter_queue_url
    deadLetterQueueArn = module.control_plane.dead_letter_queue_arn
    webhookUrl         = module.control_plane.webhook_url
    github = {
      apiUrl = var.github_api_url
      repo   = var.github_repo
      scope  = "repo"
    }
    runnerVersion = var.runner_version
    maxRunners    = var.max_runners
  }
}

resource "aws_ssm_parameter" "fleet" {
  name        = "/${var.name_prefix}/fleet"
  description = "AWS Runner Fleet descriptor: where ecsrunner finds this deployment (ECSRUNNER_FLEET=${var.name_prefix})."
  type        = "String"
  value       = jsonencode(local.fleet_descriptor)
  tags        = local.tags
}
