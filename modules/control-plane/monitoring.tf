# The fleet's dashboard and alarms, from the EMF metrics the control plane writes
# (namespace RunnerFleet, dimensions service + fleet; LaunchFailures also per reason)
# and the AWS metrics of its Lambda, dead-letter queue and image build project.

locals {
  create_dashboard  = var.monitoring.create_dashboard
  alarm_actions     = var.monitoring.alarm_sns_topic_arn == null ? [] : [var.monitoring.alarm_sns_topic_arn]
  metrics_namespace = "RunnerFleet"
  # Every control-plane metric carries these dimensions (lambda/src/adapters/metrics.ts).
  fleet_dimensions = { service = "runner-fleet-control-plane", fleet = var.name_prefix }
  region           = data.aws_region.current.name

  fleet_metric = { for name in [
    "JobsQueued", "JobsStarted", "JobsCompleted", "JobsFailed", "QueueTimeSeconds", "RunnersQueued", "RunnersStarting",
    "RunnersIdle", "RunnersBusy", "RunnersWaiting", "ActiveRunners", "RunnerCap", "LaunchFailures", "OldestQueuedSeconds",
  ] : name => [local.metrics_namespace, name, "service", local.fleet_dimensions.service, "fleet", local.fleet_dimensions.fleet] }
  lambda_metric = { for name in ["Errors", "Throttles", "Duration", "Invocations"] : name => ["AWS/Lambda", name, "FunctionName", aws_lambda_function.this.function_name] }

  widgets = concat([
    { title = "Jobs per minute", stat = "Sum", period = 60, metrics = [for m in ["JobsQueued", "JobsStarted", "JobsCompleted", "JobsFailed"] : local.fleet_metric[m]] },
    { title = "Queue time, webhook to RUNNING (s)", period = 300, metrics = [
      concat(local.fleet_metric.QueueTimeSeconds, [{ stat = "p50", label = "p50" }]),
      concat(local.fleet_metric.QueueTimeSeconds, [{ stat = "p95", label = "p95" }]),
    ] },
    { title = "Runners by status", stat = "Maximum", period = 60, metrics = [for m in ["RunnersQueued", "RunnersStarting", "RunnersIdle", "RunnersBusy", "RunnersWaiting", "ActiveRunners", "RunnerCap"] : local.fleet_metric[m]] },
    { title = "Launch failures by reason", period = 60, metrics = [[{
      expression = "SEARCH('{${local.metrics_namespace},fleet,reason,service} MetricName=\"LaunchFailures\" fleet=\"${var.name_prefix}\"', 'Sum', 60)"
      id         = "byReason"
    }]] },
    { title = "Lambda errors and throttles", stat = "Sum", period = 60, metrics = [local.lambda_metric.Errors, local.lambda_metric.Throttles, local.lambda_metric.Invocations] },
    { title = "Lambda duration (ms)", period = 60, metrics = [
      concat(local.lambda_metric.Duration, [{ stat = "Average", label = "average" }]),
      concat(local.lambda_metric.Duration, [{ stat = "p99", label = "p99" }]),
    ] },
    { title = "Dead-letter queue: messages", stat = "Maximum", period = 60, metrics = [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", aws_sqs_queue.dead_letter.name]] },
    ], var.image_build_project == null ? [] : [
    { title = "Image builds", stat = "Sum", period = 300, metrics = [for m in ["Builds", "SucceededBuilds", "FailedBuilds"] : ["AWS/CodeBuild", m, "ProjectName", var.image_build_project.name]] },
  ])
}

resource "aws_cloudwatch_dashboard" "this" {
  count          = local.create_dashboard ? 1 : 0
  dashboard_name = var.name_prefix
  dashboard_body = jsonencode({
    widgets = concat(
      [for i, w in local.widgets : {
        type   = "metric"
        x      = (i % 3) * 8
        y      = floor(i / 3) * 6
        width  = 8
        height = 6
        properties = merge(
          { title = w.title, region = local.region, view = "timeSeries", stacked = false, period = w.period, metrics = w.metrics },
          try({ stat = w.stat }, {}),
        )
      }],
      [{
        type       = "alarm"
        x          = 0
        y          = ceil(length(local.widgets) / 3) * 6
        width      = 24
        height     = 3
        properties = { title = "Alarms", alarms = [for a in aws_cloudwatch_metric_alarm.this : a.arn] }
      }],
    )
  })
}

locals {
  alarms = {
    dead-letter = {
      description = "Events the control plane could not handle reached the dead-letter queue ${aws_sqs_queue.dead_letter.name}: read them (README, Failure modes) and redrive or drop them."
      namespace   = "AWS/SQS"
      metric      = "ApproximateNumberOfMessagesVisible"
      dimensions  = { QueueName = aws_sqs_queue.dead_letter.name }
      statistic   = "Maximum"
      period      = 300
      periods     = 1
      comparison  = "GreaterThanThreshold"
      threshold   = 0
    }
    lambda-errors = {
      description = "The control-plane Lambda ${aws_lambda_function.this.function_name} failed invocations: see its log group for the errors."
      namespace   = "AWS/Lambda"
      metric      = "Errors"
      dimensions  = { FunctionName = aws_lambda_function.this.function_name }
      statistic   = "Sum"
      period      = 300
      periods     = 1
      comparison  = "GreaterThanThreshold"
      threshold   = 0
    }
    jobs-waiting = {
      description = "A job has waited more than ${var.monitoring.alarm_queue_minutes} minutes for a runner: check max_runners, ECS capacity and `ecsrunner status`."
      namespace   = local.metrics_namespace
      metric      = "OldestQueuedSeconds"
      dimensions  = local.fleet_dimensions
      statistic   = "Maximum"
      period      = 60
      periods     = 2
      comparison  = "GreaterThanThreshold"
      threshold   = var.monitoring.alarm_queue_minutes * 60
    }
    launch-failures = {
      description = "${var.monitoring.alarm_launch_failures} or more runner launches failed within 15 minutes (capacity, throttling, refused): see the dashboard's launch failures by reason."
      namespace   = local.metrics_namespace
      metric      = "LaunchFailures"
      dimensions  = local.fleet_dimensions
      statistic   = "Sum"
      period      = 900
      periods     = 1
      comparison  = "GreaterThanOrEqualToThreshold"
      threshold   = var.monitoring.alarm_launch_failures
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each            = local.alarms
  alarm_name          = "${var.name_prefix}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = each.value.period
  evaluation_periods  = each.value.periods
  comparison_operator = each.value.comparison
  threshold           = each.value.threshold
  # No data is no trouble: the metrics are written only when something happens.
  treat_missing_data = "notBreaching"
  alarm_actions      = local.alarm_actions
  ok_actions         = local.alarm_actions
  tags               = var.tags
}
