output "project_name" {
  description = "Name of the CodeBuild project."
  value       = aws_codebuild_project.this.name
}

output "project_arn" {
  description = "ARN of the CodeBuild project."
  value       = aws_codebuild_project.this.arn
}

output "role_arn" {
  description = "ARN of the project's service role."
  value       = aws_iam_role.this.arn
}

output "buildspec" {
  description = "The generated buildspec (carries the runner/ build context)."
  value       = local.buildspec
}

output "context_hash" {
  description = "SHA-256 over the build context's files (the control plane's IMAGE_CONTEXT_HASH)."
  value       = local.context_hash
}

output "image_identity" {
  description = "sha256 of context_hash, runner_architecture and runner_version (one per line): IMAGE_CONTEXT_HASH, part of every image tag."
  value       = local.image_identity
}

output "pull_through_cache_rules" {
  description = "ECR repository prefixes of the pull-through cache rules created (empty without docker_hub_pull_through_cache)."
  value       = aws_ecr_pull_through_cache_rule.docker_hub[*].ecr_repository_prefix
}
