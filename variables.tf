variable "aws_region" {
  description = "Region to deploy in. Optional: when set it must equal the AWS provider's region (a plan-time error otherwise); it is used in outputs."
  type        = string
  default     = null
}

variable "github_repo" {
  description = "Repository served by this fleet, as owner/name."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$", var.github_repo))
    error_message = "github_repo must be \"owner/name\", e.g. \"octo-org/octo-repo\"."
  }
}

variable "github_pat" {
  description = "Personal access token with administration write on the repository (fine-grained: \"Administration: read and write\" and \"Actions: read\"). Set this or github_app, not both."
  type        = string
  default     = null
  sensitive   = true
}

variable "github_app" {
  description = "GitHub App (recommended over a PAT): app id, PEM private key, and optionally the installation id (else the webhook's or the repository's installation). Needs repository permissions \"Administration: read and write\" and \"Actions: read\"."
  type = object({
    app_id          = number
    private_key     = string
    installation_id = optional(number)
  })
  default   = null
  sensitive = true

  validation {
    condition     = (var.github_pat == null) != (var.github_app == null)
    error_message = "Set exactly one of github_pat and github_app."
  }

  validation {
    condition     = var.github_app == null || can(regex("PRIVATE KEY-----", var.github_app.private_key))
    error_message = "github_app.private_key must be the App's PEM private key (-----BEGIN RSA PRIVATE KEY----- …)."
  }
}

variable "webhook_secret" {
  description = "Secret of the repository webhook; GitHub signs every delivery with it. During a rotation put both secrets, one per line."
  type        = string
  sensitive   = true

  validation {
    condition     = length(trimspace(var.webhook_secret)) >= 16
    error_message = "webhook_secret must be at least 16 characters; generate one with: openssl rand -hex 32."
  }
}

variable "webhook_allowed_cidrs" {
  description = "Source-IP allow-list of the webhook: CIDR blocks (IPv4 or IPv6) whose deliveries the Lambda handles; others get 403 before their signature is checked. Typically GitHub's webhook ranges, the `hooks` list of https://api.github.com/meta (they change: re-read them). Empty: off, only the signature decides."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for cidr in var.webhook_allowed_cidrs : can(cidrhost(cidr, 0))])
    error_message = "webhook_allowed_cidrs: each entry must be a CIDR block such as \"192.30.252.0/22\" or \"2606:50c0::/32\" (address/prefix length); for GitHub's current ranges use: curl -s https://api.github.com/meta | jq .hooks"
  }
}

variable "subnet_ids" {
  description = "Subnets the runner tasks run in (private subnets with a NAT gateway, or public ones with assign_public_ip = true)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) > 0
    error_message = "subnet_ids must list at least one subnet."
  }
}

variable "security_groups" {
  description = "Security groups of the runner tasks (they need outbound HTTPS to GitHub and ECR)."
  type        = list(string)

  validation {
    condition     = length(var.security_groups) > 0
    error_message = "security_groups must list at least one security group."
  }
}

variable "assign_public_ip" {
  description = "Give runner tasks a public IP (needed in public subnets without a NAT gateway)."
  type        = bool
  default     = false
}

variable "runner_image_tag" {
  description = "Tag of the default runner image in the fleet's ECR repository. With image_build_project set, the tag used is this plus \"-\" and 16 hex digits of the build identity (runner/, architecture, runner_version), built by CodeBuild on first use."
  type        = string
  default     = "latest"

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,110}$", var.runner_image_tag)) && !startswith(var.runner_image_tag, "img-")
    error_message = "runner_image_tag must be an image tag of at most 111 characters ([A-Za-z0-9_.-], not starting with . or -) and must not start with img- (that prefix is for images built for image: labels, which the ECR lifecycle policy expires)."
  }
}

variable "default_base_image" {
  description = "Base image of the default runner image when CodeBuild builds it. ECR Public's mirror of the Docker official images, so CodeBuild never pulls Docker Hub anonymously."
  type        = string
  default     = "public.ecr.aws/docker/library/ubuntu:22.04"

  validation {
    condition     = can(regex("^[a-z0-9][A-Za-z0-9._:/@-]{0,254}$", var.default_base_image))
    error_message = "default_base_image must be an image reference such as public.ecr.aws/docker/library/ubuntu:24.04 (Debian or Ubuntu: runner/Dockerfile is apt-based)."
  }
}

variable "runner_version" {
  description = "actions/runner version the images install (build arg RUNNER_VERSION; part of every image tag). Keep it within 30 days of the newest release: see \"Runner version policy\" in the README."
  type        = string
  default     = "2.335.1"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.runner_version))
    error_message = "runner_version must be an actions/runner release number such as 2.335.1 (no leading v)."
  }
}

variable "runner_sha256" {
  description = "SHA-256 of actions-runner-linux-<x64|arm64>-<runner_version>.tar.gz for runner_architecture; required when runner_version differs from the version runner/Dockerfile pins. null: the Dockerfile's pinned checksum."
  type        = string
  default     = null

  validation {
    condition     = var.runner_sha256 == null || can(regex("^[0-9a-f]{64}$", var.runner_sha256))
    error_message = "runner_sha256 must be 64 lower-case hex digits (sha256sum of the runner tarball)."
  }
}

variable "docker_hub_pull_through_cache" {
  description = "Optional ECR pull-through cache rule for Docker Hub (needs image_build_project): labels then use image:<account>.dkr.ecr.<region>.amazonaws.com/<ecr_repository_prefix>/library/ubuntu:24.04 and CodeBuild pulls Docker Hub with these credentials. secret_arn: Secrets Manager secret named ecr-pullthroughcache/<name> holding {\"username\",\"accessToken\"}."
  type = object({
    secret_arn            = string
    ecr_repository_prefix = optional(string, "docker-hub")
  })
  default = null

  validation {
    condition     = var.docker_hub_pull_through_cache == null || can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:ecr-pullthroughcache/.+$", var.docker_hub_pull_through_cache.secret_arn))
    error_message = "docker_hub_pull_through_cache.secret_arn must be the ARN of a Secrets Manager secret whose name starts with ecr-pullthroughcache/ (ECR requires that prefix)."
  }
}

variable "runner_class_sizes" {
  description = "Runner classes a job picks with a class:<name> label: Fargate cpu (CPU units) and memory (MiB), and whether to use Fargate Spot."
  type = map(object({
    cpu    = number
    memory = number
    spot   = optional(bool, false)
  }))
  default = {
    small  = { cpu = 512, memory = 1024 }
    medium = { cpu = 1024, memory = 2048 }
    large  = { cpu = 2048, memory = 4096 }
  }

  validation {
    condition     = length(var.runner_class_sizes) > 0 && alltrue([for name in keys(var.runner_class_sizes) : can(regex("^[a-z0-9][a-z0-9_-]{0,31}$", name))])
    error_message = "runner_class_sizes needs at least one class; names are lower-case letters, digits, \"-\" and \"_\" (at most 32)."
  }

  validation {
    condition = alltrue([for c in values(var.runner_class_sizes) : (
      c.cpu == 256 ? contains([512, 1024, 2048], c.memory) :
      c.cpu == 512 ? c.memory >= 1024 && c.memory <= 4096 && c.memory % 1024 == 0 :
      c.cpu == 1024 ? c.memory >= 2048 && c.memory <= 8192 && c.memory % 1024 == 0 :
      c.cpu == 2048 ? c.memory >= 4096 && c.memory <= 16384 && c.memory % 1024 == 0 :
      c.cpu == 4096 ? c.memory >= 8192 && c.memory <= 30720 && c.memory % 1024 == 0 :
      c.cpu == 8192 ? c.memory >= 16384 && c.memory <= 61440 && c.memory % 4096 == 0 :
      c.cpu == 16384 ? c.memory >= 32768 && c.memory <= 122880 && c.memory % 8192 == 0 :
      false
    )])
    error_message = "runner_class_sizes: every class needs a Fargate cpu/memory pair: 256 → 512/1024/2048; 512 → 1024–4096; 1024 → 2048–8192; 2048 → 4096–16384; 4096 → 8192–30720 (steps of 1024); 8192 → 16384–61440 (steps of 4096); 16384 → 32768–122880 (steps of 8192)."
  }
}

variable "default_class" {
  description = "Class for jobs without a class: label; must be a key of runner_class_sizes."
  type        = string
  default     = "small"

  validation {
    condition     = contains(keys(var.runner_class_sizes), var.default_class)
    error_message = "default_class must be one of the classes in runner_class_sizes."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name, and of runner names (<name_prefix>-<jobId>, at most 19 characters: every resource name derived from it stays within AWS's 64-character name limits, and runner ids stay far below ECS startedBy's 128)."
  type        = string
  default     = "runner-fleet"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,18}$", var.name_prefix))
    error_message = "name_prefix must be 1–19 lower-case letters, digits or \"-\", starting with a letter, so every resource name derived from it (e.g. IAM role and Lambda names) stays within AWS's 64-character limits."
  }
}

variable "event_bus_name" {
  description = "Name of the EventBridge bus that carries the fleet's own re-dispatches (a freed slot, a built image, housekeeping, replacements; webhooks reach dispatch through the table's stream). Default: <name_prefix>-events."
  type        = string
  default     = null
}

variable "image_build_project" {
  description = "Name of the CodeBuild project that builds runner images for image:<base> labels. Set it to turn dynamic images on; null keeps them off."
  type        = string
  default     = null

  validation {
    condition     = var.image_build_project == null || can(regex("^[A-Za-z0-9][A-Za-z0-9_-]{1,254}$", var.image_build_project))
    error_message = "image_build_project must be a CodeBuild project name: letters, digits, \"-\" and \"_\", 2–255 characters."
  }
}

variable "allowed_base_images" {
  description = "Patterns an image:<ref> label must match, written like a reference: [registry/]repository[:tag][@digest], with \"*\" (any run of characters) and \"?\" (one) inside a part. No registry means Docker Hub (\"ubuntu:*\" is docker.io/library/ubuntu:*); a wildcard never reaches across \"/\", \":\", \"@\" or a host name's \".\"; no tag means any tag. Only Debian and Ubuntu bases are built (the repository's last path part must be debian or ubuntu, optionally followed by -, _ or .); others are refused at the label. Empty: no image: label is allowed."
  type        = list(string)
  default     = ["public.ecr.aws/docker/library/ubuntu:22.04", "public.ecr.aws/docker/library/ubuntu:24.04", "public.ecr.aws/docker/library/debian:bookworm", "public.ecr.aws/docker/library/debian:bookworm-slim"]

  validation {
    condition     = alltrue([for p in var.allowed_base_images : length(p) <= 255 && can(regex("^(?:(?:[a-zA-Z0-9*?](?:[a-zA-Z0-9*?-]*[a-zA-Z0-9*?])?(?:\\.[a-zA-Z0-9*?](?:[a-zA-Z0-9*?-]*[a-zA-Z0-9*?])?)*|\\[[a-fA-F0-9:]+\\])(?::[0-9*?]+)?/[a-z0-9*?]+(?:(?:[._]|__|-+)[a-z0-9*?]+)*(?:/[a-z0-9*?]+(?:(?:[._]|__|-+)[a-z0-9*?]+)*)*|[a-z0-9*?]+(?:(?:[._]|__|-+)[a-z0-9*?]+)*|[a-z0-9*?]+(?:(?:_|__|-+)[a-z0-9*?]+)*(?:/[a-z0-9*?]+(?:(?:[._]|__|-+)[a-z0-9*?]+)*)+)(?::[A-Za-z0-9_*?][A-Za-z0-9_.*?-]{0,127})?(?:@(?:\\*|sha256:(?:[a-f0-9]{64}|\\*)|sha384:(?:[a-f0-9]{96}|\\*)|sha512:(?:[a-f0-9]{128}|\\*)))?$", p))])
    error_message = "allowed_base_images: each pattern must be written like an image reference, [registry/]repository[:tag][@digest] (at most 255 characters): a registry host (with an optional :port), lower-case repository parts joined by \"/\" (no empty part, no \"..\"), an optional tag, an optional digest (*, sha256:* or a full digest), with * or ? inside a part. Examples: \"public.ecr.aws/docker/library/ubuntu:*\", \"ubuntu:24.04\", \"123456789012.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/library/debian:bookworm*\"."
  }
}

variable "runner_extra_labels" {
  description = "Labels besides self-hosted, linux, x64/arm64, class:* and image:* that this fleet accepts."
  type        = list(string)
  default     = []
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

variable "runner_architecture" {
  description = "CPU architecture of the runner tasks: X86_64 or ARM64."
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.runner_architecture)
    error_message = "runner_architecture must be X86_64 or ARM64."
  }

  # Fargate Spot runs only X86_64 tasks; RunTask would fail at the first spot job.
  validation {
    condition     = var.runner_architecture != "ARM64" || alltrue([for c in values(var.runner_class_sizes) : !c.spot])
    error_message = "Fargate Spot does not run ARM64 tasks: set spot = false in every runner_class_sizes entry, or use runner_architecture = \"X86_64\"."
  }
}

variable "max_runners" {
  description = "Most runners active at once (starting, idle or busy)."
  type        = number
  default     = 100

  validation {
    condition     = var.max_runners >= 1 && floor(var.max_runners) == var.max_runners
    error_message = "max_runners must be a whole number of at least 1."
  }
}

variable "idle_timeout_minutes" {
  description = "An idle runner (up, no job) is removed after this many minutes."
  type        = number
  default     = 10

  validation {
    condition     = var.idle_timeout_minutes >= 1
    error_message = "idle_timeout_minutes must be at least 1."
  }
}

variable "max_job_duration_minutes" {
  description = "A busy runner is stopped (and recorded failed) after this many minutes. GitHub's default job timeout is 360; raise this if your jobs set a longer timeout-minutes."
  type        = number
  default     = 420

  validation {
    condition     = var.max_job_duration_minutes >= 1 && floor(var.max_job_duration_minutes) == var.max_job_duration_minutes
    error_message = "max_job_duration_minutes must be a whole number of at least 1."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps logs (Lambda, API, runners, image builds)."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "record_retention_days" {
  description = "Days a finished runner's record stays in DynamoDB before its TTL removes it."
  type        = number
  default     = 30

  validation {
    condition     = var.record_retention_days >= 1
    error_message = "record_retention_days must be at least 1."
  }
}

variable "lambda_zip" {
  description = "Path to the control-plane bundle; null uses lambda/dist/control-plane.zip in this module (run npm ci && npm run build first)."
  type        = string
  default     = null
}

variable "lambda_runtime" {
  description = "Lambda runtime of the control plane: nodejs20.x, nodejs22.x or nodejs24.x. nodejs24.x needs hashicorp/aws >= 6 (5.x providers refuse it at validate)."
  type        = string
  default     = "nodejs22.x"

  validation {
    condition     = contains(["nodejs20.x", "nodejs22.x", "nodejs24.x"], var.lambda_runtime)
    error_message = "lambda_runtime must be nodejs20.x, nodejs22.x or nodejs24.x (the bundle targets Node.js 20 and later)."
  }
}

variable "runner_task_policy_arns" {
  description = "IAM policy ARNs attached to the runner task role (the jobs' AWS identity; otherwise it may only read and delete its JIT config under /<name_prefix>/jit/ in SSM)."
  type        = list(string)
  default     = []
}

variable "github_api_url" {
  description = "GitHub REST API URL (GitHub Enterprise Server: https://HOST/api/v3)."
  type        = string
  default     = "https://api.github.com"
}

variable "runner_group_id" {
  description = "Runner group the JIT runners join (1 is the repository's default group)."
  type        = number
  default     = 1
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for the table, queue, parameters, logs and ECR; null uses AWS-managed keys. Its key policy must let CloudWatch Logs, EventBridge and ECR use it."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

variable "create_dashboard" {
  description = "Create the fleet's CloudWatch dashboard (jobs per minute, queue time, runners by status, launch failures, Lambda, dead-letter queue, image builds)."
  type        = bool
  default     = true
}

variable "alarm_sns_topic_arn" {
  description = "SNS topic the fleet's CloudWatch alarms notify (alarm and OK); null creates the alarms without notifications."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_sns_topic_arn == null || can(regex("^arn:aws[a-zA-Z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.alarm_sns_topic_arn))
    error_message = "alarm_sns_topic_arn must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>), or null for alarms without notifications."
  }
}

variable "alarm_queue_minutes" {
  description = "Alarm when a job has waited longer than this many minutes for its runner (two housekeeping runs in a row)."
  type        = number
  default     = 15

  validation {
    condition     = var.alarm_queue_minutes >= 1 && var.alarm_queue_minutes <= 1440 && floor(var.alarm_queue_minutes) == var.alarm_queue_minutes
    error_message = "alarm_queue_minutes must be a whole number of minutes from 1 to 1440."
  }
}

variable "alarm_launch_failures" {
  description = "Alarm when this many runner launches (RunTask attempts that started nothing, or refused) fail within 15 minutes."
  type        = number
  default     = 5

  validation {
    condition     = var.alarm_launch_failures >= 1 && floor(var.alarm_launch_failures) == var.alarm_launch_failures
    error_message = "alarm_launch_failures must be a whole number ≥ 1."
  }
}
