output "webhook_url" {
  description = "Payload URL for the repository webhook (content type application/json, secret = webhook_secret, event: Workflow jobs)."
  value       = module.control_plane.webhook_url
}

output "runner_table_name" {
  description = "DynamoDB table of runner records."
  value       = module.control_plane.runner_table_name
}

output "class_sizes_parameter_name" {
  description = "SSM parameter holding the runner class sizes."
  value       = module.control_plane.class_sizes_parameter_name
}

output "ecs_cluster_name" {
  description = "ECS cluster the runner tasks run in."
  value       = module.ecs_fleet.cluster_name
}

output "ecs_cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = module.ecs_fleet.cluster_arn
}

output "ecr_repository_url" {
  description = "Runner image repository: push the default image as <url>:<runner_image_tag>."
  value       = module.ecs_fleet.ecr_repository_url
}

output "ecr_repository_arn" {
  description = "ARN of the runner image repository."
  value       = module.ecs_fleet.ecr_repository_arn
}

output "task_execution_role_arn" {
  description = "ARN of the runner tasks' execution role."
  value       = module.ecs_fleet.task_execution_role_arn
}

output "runner_task_role_arn" {
  description = "ARN of the runner task role (the jobs' AWS identity)."
  value       = module.ecs_fleet.runner_task_role_arn
}

output "lambda_function_name" {
  description = "Name of the control-plane Lambda."
  value       = module.control_plane.lambda_function_name
}

output "lambda_function_arn" {
  description = "ARN of the control-plane Lambda."
  value       = module.control_plane.lambda_function_arn
}

output "event_bus_name" {
  description = "Name of the fleet's EventBridge bus."
  value       = module.control_plane.event_bus_name
}

output "dead_letter_queue_url" {
  description = "Dead-letter queue of events the control plane could not process after retries."
  value       = module.control_plane.dead_letter_queue_url
}

output "image_build_project_name" {
  description = "CodeBuild project for image: labels (null when dynamic images are off)."
  value       = try(module.image_build_project[0].project_name, null)
}

output "dashboard_name" {
  description = "Name of the fleet's CloudWatch dashboard (null when create_dashboard is false)."
  value       = module.control_plane.dashboard_name
}

output "cli_environment" {
  description = "Shell lines that point ecsrunner at this fleet: eval \"$(terraform output -raw cli_environment)\"."
  value = join("\n", [
    "export AWS_REGION=${coalesce(var.aws_region, data.aws_region.current.name)}",
    "export ECSRUNNER_FLEET=${var.name_prefix}",
    "export RUNNER_TABLE=${module.control_plane.runner_table_name}",
    "export CLASS_SIZES_PARAM=${module.control_plane.class_sizes_parameter_name}",
    "export RUNNER_LOG_GROUP=${module.ecs_fleet.log_group_name}",
    "export MAX_RUNNERS=${var.max_runners}",
  ])
}

output "fleet_descriptor_parameter_name" {
  description = "SSM parameter describing this deployment; ecsrunner reads it with --fleet <name_prefix> or ECSRUNNER_FLEET=<name_prefix>."
  value       = aws_ssm_parameter.fleet.name
}
