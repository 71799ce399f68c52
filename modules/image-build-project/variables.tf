variable "project_name" {
  description = "Name of the CodeBuild project (the root module's image_build_project)."
  type        = string
}

variable "name_prefix" {
  description = "Prefix of the project's role and log group."
  type        = string
}

variable "ecr_repository_url" {
  description = "Repository the built runner images are pushed to."
  type        = string
}

variable "ecr_repository_arn" {
  description = "ARN of that repository (the project may push only there)."
  type        = string
}

variable "build_context_dir" {
  description = "Directory holding the runner image's build context (runner/: Dockerfile and scripts); its files travel inside the buildspec."
  type        = string
}

variable "runner_architecture" {
  description = "CPU architecture the images are built for: X86_64 or ARM64."
  type        = string
  default     = "X86_64"
}

variable "compute_type" {
  description = "CodeBuild compute type of a build."
  type        = string
  default     = "BUILD_GENERAL1_MEDIUM"
}

variable "build_timeout_minutes" {
  description = "A build that runs longer is stopped (and the runners waiting for it fail)."
  type        = number
  default     = 30
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the build logs."
  type        = number
  default     = 30
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for the build logs; null uses AWS-managed encryption."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
