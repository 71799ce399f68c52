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

variable "default_base_image" {
  description = "Base of the default runner image (BASE_IMAGE when a build names none): ECR Public's mirror of the Docker official images, so CodeBuild never pulls Docker Hub anonymously."
  type        = string
  default     = "public.ecr.aws/docker/library/ubuntu:22.04"
}

variable "runner_version" {
  description = "actions/runner version the images install (build arg RUNNER_VERSION; part of every image tag)."
  type        = string
  default     = "2.335.1"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.runner_version))
    error_message = "runner_version must be an actions/runner release number such as 2.335.1 (no leading v)."
  }
}

variable "runner_sha256" {
  description = "SHA-256 of the runner tarball for runner_architecture; null uses the checksum runner/Dockerfile pins (right only for its pinned version)."
  type        = string
  default     = null

  validation {
    condition     = var.runner_sha256 == null || can(regex("^[0-9a-f]{64}$", var.runner_sha256))
    error_message = "runner_sha256 must be 64 lower-case hex digits (sha256sum of actions-runner-linux-<arch>-<version>.tar.gz)."
  }
}

variable "runner_download_base" {
  description = "Everything before /v<version>/ of the runner tarball URL (build arg RUNNER_DOWNLOAD_BASE); a mirror or proxy may replace GitHub's."
  type        = string
  default     = "https://github.com/actions/runner/releases/download"

  validation {
    condition     = can(regex("^https?://[^\\s'\"]+[^/]$", var.runner_download_base))
    error_message = "runner_download_base must be an http(s) URL without a trailing slash, quotes or spaces."
  }
}

variable "docker_hub_pull_through_cache" {
  description = "Creates an ECR pull-through cache rule for Docker Hub: image:<account>.dkr.ecr.<region>.amazonaws.com/<ecr_repository_prefix>/library/ubuntu:22.04 then pulls Docker Hub with these credentials. secret_arn: a Secrets Manager secret named ecr-pullthroughcache/<name> holding {\"username\",\"accessToken\"}. null: no rule."
  type = object({
    secret_arn            = string
    ecr_repository_prefix = optional(string, "docker-hub")
  })
  default = null

  validation {
    condition     = var.docker_hub_pull_through_cache == null || can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:ecr-pullthroughcache/.+$", var.docker_hub_pull_through_cache.secret_arn))
    error_message = "docker_hub_pull_through_cache.secret_arn must be the ARN of a Secrets Manager secret whose name starts with ecr-pullthroughcache/ (ECR requires that prefix)."
  }

  validation {
    condition     = var.docker_hub_pull_through_cache == null ? true : (can(regex("^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", var.docker_hub_pull_through_cache.ecr_repository_prefix)) && length(var.docker_hub_pull_through_cache.ecr_repository_prefix) >= 2 && length(var.docker_hub_pull_through_cache.ecr_repository_prefix) <= 30)
    error_message = "docker_hub_pull_through_cache.ecr_repository_prefix must be a lower-case ECR repository prefix of 2-30 characters such as docker-hub."
  }
}
