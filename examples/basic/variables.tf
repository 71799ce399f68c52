variable "aws_region" {
  description = "Region to deploy the example in."
  type        = string
  default     = "eu-west-1"
}

variable "github_repo" {
  description = "Repository served by the fleet, as owner/name."
  type        = string
}

variable "github_pat" {
  description = "Personal access token with administration write on the repository."
  type        = string
  sensitive   = true
}

variable "webhook_secret" {
  description = "Secret of the repository webhook (openssl rand -hex 32)."
  type        = string
  sensitive   = true
}
