variable "name_prefix" {
  description = "Prefix of every resource name; also the runner name prefix (runner ids are <name_prefix>-<jobId>)."
  type        = string
}

variable "lambda_zip" {
  description = "Path to the control-plane bundle (npm run build writes lambda/dist/control-plane.zip)."
  type        = string
}

variable "github" {
  description = "GitHub side: repository served, API URL, and the runner group JIT runners join."
  type = object({
    repo            = string
    api_url         = optional(string, "https://api.github.com")
    runner_group_id = optional(number, 1)
  })
}

variable "github_auth" {
  description = "The PAT, or the GitHub App as JSON ({\"appId\",\"privateKey\",\"installationId\"}), stored as an SSM SecureString."
  type        = string
  sensitive   = true
}

variable "webhook_secret" {
  description = "Webhook secret, stored as an SSM SecureString (one secret per line while rotating)."
  type        = string
  sensitive   = true
}

variable "event_bus_name" {
  description = "Name of the EventBridge bus that carries the fleet's own re-dispatches (a freed slot, a built image, housekeeping, replacements); webhooks reach dispatch through the table's stream."
  type        = string
}

variable "fleet" {
  description = "What the ecs-fleet module created: cluster, task definition, roles, repository."
  type = object({
    cluster_name            = string
    cluster_arn             = string
    task_definition_family  = string
    runner_container_name   = string
    task_execution_role_arn = string
    runner_task_role_arn    = string
    ecr_repository_url      = string
    ecr_repository_arn      = string
    runner_image_tag        = optional(string, "latest")
    runner_architecture     = optional(string, "X86_64")
  })
}

variable "network" {
  description = "The runner tasks' awsvpc network."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
    assign_public_ip   = optional(bool, false)
  })
}

variable "runners" {
  description = "Runner policy: class sizes (cpu units, MiB, spot), default class, cap, idle timeout, maximum job duration, allowed base images and extra labels."
  type = object({
    class_sizes = map(object({
      cpu    = number
      memory = number
      spot   = optional(bool, false)
    }))
    default_class        = string
    max_runners          = number
    idle_timeout_seconds = number
    max_job_seconds      = optional(number, 25200)
    allowed_base_images  = list(string)
    extra_labels         = list(string)
  })
}

variable "image_build_project" {
  description = "CodeBuild project that builds runner images for image: labels (name, ARN, and the hash of the build context it carries); null turns dynamic images off."
  type = object({
    name         = string
    arn          = string
    context_hash = optional(string, "")
  })
  default = null
}

variable "record_retention_days" {
  description = "Days a terminal runner record is kept before DynamoDB's TTL deletes it."
  type        = number
  default     = 30
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the Lambda's and the API's logs."
  type        = number
  default     = 30
}

variable "log_level" {
  description = "Log level of the Lambda (DEBUG, INFO, WARN, ERROR)."
  type        = string
  default     = "INFO"
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

variable "api_throttling" {
  description = "API Gateway stage throttling for POST /webhook."
  type = object({
    burst_limit = optional(number, 100)
    rate_limit  = optional(number, 50)
  })
  default = {}
}

variable "lambda" {
  description = "Lambda sizing: memory (MB), timeout (s), and reserved concurrency (-1: unreserved)."
  type = object({
    memory_size          = optional(number, 512)
    timeout              = optional(number, 30)
    reserved_concurrency = optional(number, -1)
  })
  default = {}
}

variable "lambda_runtime" {
  description = "Lambda runtime of the control plane: nodejs20.x, nodejs22.x or nodejs24.x (nodejs24.x needs hashicorp/aws >= 6)."
  type        = string
  default     = "nodejs22.x"

  validation {
    condition     = contains(["nodejs20.x", "nodejs22.x", "nodejs24.x"], var.lambda_runtime)
    error_message = "lambda_runtime must be nodejs20.x, nodejs22.x or nodejs24.x (the bundle targets Node.js 20 and later)."
  }
}

variable "table_deletion_protection" {
  description = "Protect the runner table from deletion (turn off to let terraform destroy remove it)."
  type        = bool
  default     = false
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for the table, queue, parameters and log groups; null uses AWS-managed keys."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}

variable "monitoring" {
  description = "CloudWatch dashboard and alarms: create_dashboard (the fleet's dashboard), alarm_sns_topic_arn (SNS topic the alarms notify; null: alarms without actions), alarm_queue_minutes (alarm when a job has waited longer), alarm_launch_failures (alarm at this many launch failures in 15 minutes)."
  type = object({
    create_dashboard      = optional(bool, true)
    alarm_sns_topic_arn   = optional(string)
    alarm_queue_minutes   = optional(number, 15)
    alarm_launch_failures = optional(number, 5)
  })
  default = {}

  validation {
    condition     = var.monitoring.alarm_sns_topic_arn == null || can(regex("^arn:aws[a-zA-Z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.monitoring.alarm_sns_topic_arn))
    error_message = "monitoring.alarm_sns_topic_arn must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>), or null for alarms without notifications."
  }
  validation {
    condition     = var.monitoring.alarm_queue_minutes >= 1 && var.monitoring.alarm_queue_minutes <= 1440 && floor(var.monitoring.alarm_queue_minutes) == var.monitoring.alarm_queue_minutes
    error_message = "monitoring.alarm_queue_minutes must be a whole number of minutes from 1 to 1440."
  }
  validation {
    condition     = var.monitoring.alarm_launch_failures >= 1 && floor(var.monitoring.alarm_launch_failures) == var.monitoring.alarm_launch_failures
    error_message = "monitoring.alarm_launch_failures must be a whole number ≥ 1."
  }
}
