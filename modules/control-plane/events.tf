resource "aws_cloudwatch_event_bus" "this" {
  name = var.event_bus_name
  tags = var.tags
}

locals {
  rules = {
    workflow-job = { bus = aws_cloudwatch_event_bus.this.name, pattern = jsonencode(local.event_patterns.workflow_job), schedule = null, description = "Accepted workflow_job webhooks → dispatch" }
    task-state   = { bus = "default", pattern = jsonencode(local.event_patterns.task_state), schedule = null, description = "ECS task state changes of this fleet → task-state" }
    housekeeping = { bus = "default", pattern = null, schedule = "rate(1 minute)", description = "Housekeeping schedule" }
  }
}

resource "aws_cloudwatch_event_rule" "this" {
  for_each            = local.rules
  name                = "${var.name_prefix}-${each.key}"
  description         = each.value.description
  event_bus_name      = each.value.bus
  event_pattern       = each.value.pattern
  schedule_expression = each.value.schedule
  tags                = var.tags
}

resource "aws_cloudwatch_event_rule" "image_build" {
  count          = local.create_image_build_rule ? 1 : 0
  name           = "${var.name_prefix}-image-build"
  description    = "CodeBuild state changes of the image build project → image-build"
  event_bus_name = "default"
  event_pattern  = jsonencode(local.event_patterns.image_build)
  tags           = var.tags
}

locals {
  all_rules = merge(
    { for k, r in aws_cloudwatch_event_rule.this : k => r },
    { for r in aws_cloudwatch_event_rule.image_build : "image-build" => r },
  )
}

resource "aws_cloudwatch_event_target" "this" {
  for_each       = local.all_rules
  rule           = each.value.name
  event_bus_name = each.value.event_bus_name
  target_id      = "control-plane"
  arn            = aws_lambda_function.this.arn

  # Delivery failures (throttled or unavailable Lambda) are retried, then dead-lettered.
  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 8
  }

  dead_letter_config {
    arn = aws_sqs_queue.dead_letter.arn
  }
}

resource "aws_lambda_permission" "events" {
  for_each      = local.all_rules
  statement_id  = "events-${each.key}"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  principal     = "events.amazonaws.com"
  source_arn    = each.value.arn
}
