variable "name_prefix" {
  description = "Prefix of every resource name (cluster, roles, repository, log group, task definition family)."
  type        = string
}

variable "runner_image_tag" {
  description = "Tag of the runner image in the fleet's ECR repository that the default task definition runs."
  type        = string
  default     = "latest"
}

variable "runner_architecture" {
  description = "CPU architecture of the runner tasks: X86_64 or ARM64 (the runner image must be built for it)."
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.runner_architecture)
    error_message = "runner_architecture must be X86_64 or ARM64."
  }
}

variable "default_size" {
  description = "Task-level cpu (CPU units) and memory (MiB) of the default task definition; each launch overrides them with its class."
  type = object({
    cpu    = number
    memory = number
  })
}

variable "runner_container_name" {
  description = "Name of the runner container in the task definition (receives RUNNER_JITCONFIG_PARAMETER, the name of its JIT config in SSM)."
  type        = string
  default     = "runner"
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the runners' logs."
  type        = number
  default     = 30
}

variable "runner_task_policy_arns" {
  description = "IAM policy ARNs attached to the runner task role. Otherwise the role may only read and delete JIT configs under /<name_prefix>/jit/ in SSM (its entrypoint takes its own at start-up): jobs get AWS access only through what is listed here."
  type        = list(string)
  default     = []
}

variable "dynamic_image_expiry_days" {
  description = "Days after its push the ECR lifecycle policy expires an image built for an image: label (tag prefix img-); untagged images expire after 7 days; the default image never expires."
  type        = number
  default     = 30

  validation {
    condition     = var.dynamic_image_expiry_days >= 1 && floor(var.dynamic_image_expiry_days) == var.dynamic_image_expiry_days
    error_message = "dynamic_image_expiry_days must be a whole number of at least 1."
  }
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for ECR and the log group; null uses AWS-managed encryption."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}

variable "runner_stop_timeout" {
  description = "Seconds a runner container gets between Fargate's SIGTERM and SIGKILL to cancel its job and report it (2-120; 120 is Fargate's maximum)."
  type        = number
  default     = 120

  validation {
    condition     = var.runner_stop_timeout >= 2 && var.runner_stop_timeout <= 120 && floor(var.runner_stop_timeout) == var.runner_stop_timeout
    error_message = "runner_stop_timeout must be a whole number of seconds from 2 to 120 (Fargate's maximum stopTimeout)."
  }
}
