output "webhook_url" {
  description = "Payload URL for the repository webhook."
  value       = module.runner_fleet.webhook_url
}

output "ecr_repository_url" {
  description = "Push the default runner image here as :latest."
  value       = module.runner_fleet.ecr_repository_url
}

output "cli_environment" {
  description = "eval \"$(terraform output -raw cli_environment)\" points ecsrunner at this fleet."
  value       = module.runner_fleet.cli_environment
}
