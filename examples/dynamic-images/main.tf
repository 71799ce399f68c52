module "runner_fleet" {
  source = "../.."

  aws_region       = var.aws_region
  name_prefix      = "images-fleet"
  github_pat       = var.github_pat
  github_repo      = var.github_repo
  webhook_secret   = var.webhook_secret
  subnet_ids       = aws_subnet.public[*].id
  security_groups  = [aws_security_group.runners.id]
  assign_public_ip = true

  # runs-on: [self-hosted, class:large, image:ubuntu:24.04] builds a runner FROM ubuntu:24.04 once.
  image_build_project = "images-fleet-runner-images"
  allowed_base_images = [
    "ubuntu:*",
    "debian:*",
    "public.ecr.aws/docker/library/*",
  ]

  runner_class_sizes = {
    small  = { cpu = 512, memory = 1024 }
    medium = { cpu = 1024, memory = 2048, spot = true }
    large  = { cpu = 4096, memory = 8192, spot = true }
  }
  default_class = "small"
  max_runners   = 50
}
