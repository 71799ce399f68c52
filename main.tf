data "aws_region" "current" {
  lifecycle {
    postcondition {
      condition     = var.aws_region == null || self.name == var.aws_region
      error_message = "aws_region is \"${coalesce(var.aws_region, "-")}\" but the AWS provider is configured for \"${self.name}\": set the provider's region to match, or leave aws_region unset."
    }
  }
}

locals {
  create_image_build = var.image_build_project != null
  event_bus_name     = coalesce(var.event_bus_name, "${var.name_prefix}-events")
  lambda_zip         = coalesce(var.lambda_zip, "${path.module}/lambda/dist/control-plane.zip")
  tags               = merge({ "runner-fleet" = var.name_prefix }, var.tags)
  # With builds on, the default image's tag names its build identity (runner/, architecture, runner
  # version): an apply that changes one gives a tag that is not in ECR yet, and the first job builds it.
  default_image_tag = local.create_image_build ? "${var.runner_image_tag}-${substr(module.image_build_project[0].image_identity, 0, 16)}" : var.runner_image_tag

  github_auth = var.github_app != null ? jsonencode({
    appId          = var.github_app.app_id
    privateKey     = var.github_app.private_key
    installationId = var.github_app.installation_id
  }) : var.github_pat
}

module "ecs_fleet" {
  source = "./modules/ecs-fleet"

  name_prefix             = var.name_prefix
  runner_image_tag        = local.default_image_tag
  runner_architecture     = var.runner_architecture
  runner_stop_timeout     = var.runner_stop_timeout
  default_size            = { cpu = var.runner_class_sizes[var.default_class].cpu, memory = var.runner_class_sizes[var.default_class].memory }
  log_retention_days      = var.log_retention_days
  runner_task_policy_arns = var.runner_task_policy_arns
  kms_key_arn             = var.kms_key_arn
  tags                    = local.tags
}

module "image_build_project" {
  source = "./modules/image-build-project"
  count  = local.create_image_build ? 1 : 0

  project_name        = var.image_build_project
  name_prefix         = var.name_prefix
  ecr_repository_url  = module.ecs_fleet.ecr_repository_url
  ecr_repository_arn  = module.ecs_fleet.ecr_repository_arn
  build_context_dir   = "${path.module}/runner"
  runner_architecture = var.runner_architecture
  runner_version      = var.runner_version
  runner_sha256       = var.runner_sha256
  default_base_image  = var.default_base_image

  docker_hub_pull_through_cache = var.docker_hub_pull_through_cache
  log_retention_days            = var.log_retention_days
  kms_key_arn                   = var.kms_key_arn
  tags                          = local.tags
}

module "control_plane" {
  source = "./modules/control-plane"

  name_prefix    = var.name_prefix
  lambda_zip     = local.lambda_zip
  github_auth    = local.github_auth
  webhook_secret = var.webhook_secret
  event_bus_name = local.event_bus_name

  webhook_allowed_cidrs = var.webhook_allowed_cidrs
  github = {
    repo            = var.github_repo
    api_url         = var.github_api_url
    runner_group_id = var.runner_group_id
  }
  fleet = {
    cluster_name            = module.ecs_fleet.cluster_name
    cluster_arn             = module.ecs_fleet.cluster_arn
    task_definition_family  = module.ecs_fleet.task_definition_family
    runner_container_name   = module.ecs_fleet.runner_container_name
    task_execution_role_arn = module.ecs_fleet.task_execution_role_arn
    runner_task_role_arn    = module.ecs_fleet.runner_task_role_arn
    ecr_repository_url      = module.ecs_fleet.ecr_repository_url
    ecr_repository_arn      = module.ecs_fleet.ecr_repository_arn
    runner_architecture     = var.runner_architecture
    runner_image_tag        = local.default_image_tag
  }
  network = {
    subnet_ids         = var.subnet_ids
    security_group_ids = var.security_groups
    assign_public_ip   = var.assign_public_ip
  }
  runners = {
    class_sizes          = var.runner_class_sizes
    default_class        = var.default_class
    max_runners          = var.max_runners
    idle_timeout_seconds = var.idle_timeout_minutes * 60
    max_job_seconds      = var.max_job_duration_minutes * 60
    allowed_base_images  = var.allowed_base_images
    extra_labels         = var.runner_extra_labels
  }
  image_build_project = local.create_image_build ? {
    name         = module.image_build_project[0].project_name
    arn          = module.image_build_project[0].project_arn
    context_hash = module.image_build_project[0].image_identity
  } : null
  record_retention_days = var.record_retention_days
  log_retention_days    = var.log_retention_days
  kms_key_arn           = var.kms_key_arn
  lambda_runtime        = var.lambda_runtime
  monitoring = {
    create_dashboard      = var.create_dashboard
    alarm_sns_topic_arn   = var.alarm_sns_topic_arn
    alarm_queue_minutes   = var.alarm_queue_minutes
    alarm_launch_failures = var.alarm_launch_failures
  }
  tags = local.tags
}
