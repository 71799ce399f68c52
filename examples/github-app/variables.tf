variable "aws_region" {
  description = "Region to deploy the example in."
  type        = string
  default     = "eu-west-1"
}

variable "github_repo" {
  description = "Repository served by the fleet, as owner/name (the App must be installed on it)."
  type        = string
}

variable "github_app_id" {
  description = "The GitHub App's id (App settings → About)."
  type        = number
}

variable "github_app_private_key_file" {
  description = "Path to the App's private key (.pem) downloaded from its settings."
  type        = string
}

variable "github_app_installation_id" {
  description = "Installation id of the App on the repository's owner; null lets the control plane look it up."
  type        = number
  default     = null
}

variable "webhook_secret" {
  description = "Secret of the repository (or App) webhook (openssl rand -hex 32)."
  type        = string
  sensitive   = true
}
