output "cluster_name" {
  description = "Name of the ECS cluster the runners run in."
  value       = aws_ecs_cluster.this.name
}

output "cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = aws_ecs_cluster.this.arn
}

output "ecr_repository_url" {
  description = "URL of the runner image repository (push the default image here)."
  value       = aws_ecr_repository.this.repository_url
}

output "ecr_repository_arn" {
  description = "ARN of the runner image repository."
  value       = aws_ecr_repository.this.arn
}

output "ecr_repository_name" {
  description = "Name of the runner image repository."
  value       = aws_ecr_repository.this.name
}

output "task_execution_role_arn" {
  description = "ARN of the task execution role (image pull, logs)."
  value       = aws_iam_role.task_execution.arn
}

output "runner_task_role_arn" {
  description = "ARN of the runner task role (the job's AWS identity; by default it may only take its JIT config from SSM)."
  value       = aws_iam_role.runner.arn
}

output "task_definition_family" {
  description = "Family of the default runner task definition."
  value       = aws_ecs_task_definition.runner.family
}

output "task_definition_arn" {
  description = "ARN (with revision) of the default runner task definition."
  value       = aws_ecs_task_definition.runner.arn
}

output "runner_container_name" {
  description = "Name of the runner container."
  value       = var.runner_container_name
}

output "log_group_name" {
  description = "CloudWatch log group of the runner tasks."
  value       = aws_cloudwatch_log_group.runner.name
}

output "log_group_arn" {
  description = "ARN of the runner tasks' log group."
  value       = aws_cloudwatch_log_group.runner.arn
}
