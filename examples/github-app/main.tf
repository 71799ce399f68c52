module "runner_fleet" {
  source = "../.."

  aws_region = var.aws_region
  github_app = {
    app_id          = var.github_app_id
    private_key     = file(var.github_app_private_key_file)
    installation_id = var.github_app_installation_id
  }
  github_repo      = var.github_repo
  webhook_secret   = var.webhook_secret
  subnet_ids       = aws_subnet.public[*].id
  security_groups  = [aws_security_group.runners.id]
  assign_public_ip = true
}
