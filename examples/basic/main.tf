module "runner_fleet" {
  source = "../.."

  aws_region          = var.aws_region
  github_pat          = var.github_pat
  github_repo         = var.github_repo
  webhook_secret      = var.webhook_secret
  subnet_ids          = aws_subnet.public[*].id
  security_groups     = [aws_security_group.runners.id]
  assign_public_ip    = true
  image_build_project = "image_builder"
  runner_class_sizes = {
    small  = { cpu = 512, memory = 1024 }
    medium = { cpu = 1024, memory = 2048 }
    large  = { cpu = 2048, memory = 4096 }
  }
}
