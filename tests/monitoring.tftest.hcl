# The dashboard and alarms of the control plane (issue 15): which metrics they read, and the toggles.

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

variables {
  name_prefix    = "fleet"
  lambda_zip     = "tests/fixtures/control-plane.zip"
  github_auth    = "ghp_0123456789abcdefghijklmnopqrstuvwxyz"
  webhook_secret = "0123456789abcdef0123456789abcdef"
  event_bus_name = "fleet-events"
  github         = { repo = "octo-org/octo-repo" }
  fleet = {
    cluster_name            = "fleet"
    cluster_arn             = "arn:aws:ecs:eu-west-1:123456789012:cluster/fleet"
    task_definition_family  = "fleet-runner"
    runner_container_name   = "runner"
    task_execution_role_arn = "arn:aws:iam::123456789012:role/fleet-task-execution"
    runner_task_role_arn    = "arn:aws:iam::123456789012:role/fleet-runner-task"
    ecr_repository_url      = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet-runner"
    ecr_repository_arn      = "arn:aws:ecr:eu-west-1:123456789012:repository/fleet-runner"
  }
  network = { subnet_ids = ["subnet-1"], security_group_ids = ["sg-1"] }
  runners = {
    class_sizes          = { small = { cpu = 512, memory = 1024 } }
    default_class        = "small"
    max_runners          = 10
    idle_timeout_seconds = 600
    allowed_base_images  = []
    extra_labels         = []
  }
}

run "alarms_watch_the_dead_letter_queue_lambda_errors_waiting_jobs_and_launch_failures" {
  command = plan
  module {
    source = "./modules/control-plane"
  }
  assert {
    condition     = toset(keys(aws_cloudwatch_metric_alarm.this)) == toset(["dead-letter", "lambda-errors", "jobs-waiting", "launch-failures"])
    error_message = "The four alarms of the README exist."
  }
  assert {
    condition = (
      aws_cloudwatch_metric_alarm.this["dead-letter"].namespace == "AWS/SQS" &&
      aws_cloudwatch_metric_alarm.this["dead-letter"].metric_name == "ApproximateNumberOfMessagesVisible" &&
      aws_cloudwatch_metric_alarm.this["dead-letter"].dimensions.QueueName == "fleet-dead-letter" &&
      aws_cloudwatch_metric_alarm.this["dead-letter"].threshold == 0 &&
      aws_cloudwatch_metric_alarm.this["dead-letter"].comparison_operator == "GreaterThanThreshold"
    )
    error_message = "The dead-letter alarm fires on any visible message in the fleet's DLQ."
  }
  assert {
    condition = (
      aws_cloudwatch_metric_alarm.this["lambda-errors"].namespace == "AWS/Lambda" &&
      aws_cloudwatch_metric_alarm.this["lambda-errors"].metric_name == "Errors" &&
      aws_cloudwatch_metric_alarm.this["lambda-errors"].dimensions.FunctionName == "fleet-control-plane"
    )
    error_message = "The Lambda errors alarm reads the control plane's Errors."
  }
  assert {
    condition = (
      aws_cloudwatch_metric_alarm.this["jobs-waiting"].namespace == "RunnerFleet" &&
      aws_cloudwatch_metric_alarm.this["jobs-waiting"].metric_name == "OldestQueuedSeconds" &&
      aws_cloudwatch_metric_alarm.this["jobs-waiting"].statistic == "Maximum" &&
      aws_cloudwatch_metric_alarm.this["jobs-waiting"].threshold == 900 &&
      aws_cloudwatch_metric_alarm.this["jobs-waiting"].dimensions == tomap({ service = "runner-fleet-control-plane", fleet = "fleet" })
    )
    error_message = "Jobs waiting alarms past alarm_queue_minutes (15 by default) on the housekeeping gauge, with the EMF dimensions the Lambda writes."
  }
  assert {
    condition = (
      aws_cloudwatch_metric_alarm.this["launch-failures"].metric_name == "LaunchFailures" &&
      aws_cloudwatch_metric_alarm.this["launch-failures"].statistic == "Sum" &&
      aws_cloudwatch_metric_alarm.this["launch-failures"].threshold == 5 &&
      !contains(keys(aws_cloudwatch_metric_alarm.this["launch-failures"].dimensions), "reason")
    )
    error_message = "Launch failures alarms on the fleet-wide count (no reason dimension: an alarm cannot SEARCH)."
  }
  assert {
    condition     = alltrue([for a in aws_cloudwatch_metric_alarm.this : length(a.alarm_actions) == 0 && a.treat_missing_data == "notBreaching"])
    error_message = "Without alarm_sns_topic_arn the alarms notify nobody, and no data is not an alarm."
  }
}

run "the_dashboard_shows_jobs_queue_time_runners_failures_lambda_and_dlq" {
  command = plan
  module {
    source = "./modules/control-plane"
  }
  assert {
    condition     = aws_cloudwatch_dashboard.this[0].dashboard_name == "fleet"
    error_message = "create_dashboard defaults to true; the dashboard is named after name_prefix."
  }
  assert {
    condition = toset([for w in jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets : w.properties.title]) == toset([
      "Jobs per minute", "Queue time, webhook to RUNNING (s)", "Runners by status", "Launch failures by reason",
      "Lambda errors and throttles", "Lambda duration (ms)", "Dead-letter queue: messages", "Alarms",
    ])
    error_message = "The dashboard has the widgets of the README (no image builds without an image build project)."
  }
  assert {
    condition = toset(flatten([for w in jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets : [
      for m in try(w.properties.metrics, []) : m[1] if m[0] == "RunnerFleet"
      ]])) == toset([
      "JobsQueued", "JobsStarted", "JobsCompleted", "JobsFailed", "QueueTimeSeconds",
      "RunnersQueued", "RunnersStarting", "RunnersIdle", "RunnersBusy", "RunnersWaiting", "ActiveRunners", "RunnerCap",
    ])
    error_message = "The dashboard reads the metrics lambda/src/adapters/metrics.ts writes."
  }
  assert {
    condition     = strcontains(aws_cloudwatch_dashboard.this[0].dashboard_body, "MetricName=\\\"LaunchFailures\\\" fleet=\\\"fleet\\\"")
    error_message = "Launch failures by reason come from a SEARCH over the reason dimension of this fleet."
  }
}

run "alarms_notify_the_sns_topic_and_take_the_queue_minutes" {
  command = plan
  module {
    source = "./modules/control-plane"
  }
  variables {
    monitoring = { alarm_sns_topic_arn = "arn:aws:sns:eu-west-1:123456789012:on-call", alarm_queue_minutes = 30, alarm_launch_failures = 3 }
  }
  assert {
    condition     = alltrue([for a in aws_cloudwatch_metric_alarm.this : a.alarm_actions == toset(["arn:aws:sns:eu-west-1:123456789012:on-call"]) && a.ok_actions == toset(["arn:aws:sns:eu-west-1:123456789012:on-call"])])
    error_message = "With alarm_sns_topic_arn every alarm notifies the topic on ALARM and OK."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.this["jobs-waiting"].threshold == 1800 && aws_cloudwatch_metric_alarm.this["launch-failures"].threshold == 3
    error_message = "alarm_queue_minutes and alarm_launch_failures set the thresholds."
  }
}

run "no_dashboard_when_turned_off_alarms_stay" {
  command = plan
  module {
    source = "./modules/control-plane"
  }
  variables {
    monitoring = { create_dashboard = false }
  }
  assert {
    condition     = length(aws_cloudwatch_dashboard.this) == 0 && length(aws_cloudwatch_metric_alarm.this) == 4 && output.dashboard_name == null
    error_message = "create_dashboard = false removes only the dashboard."
  }
}

run "image_builds_on_the_dashboard_with_an_image_build_project" {
  command = plan
  module {
    source = "./modules/control-plane"
  }
  variables {
    image_build_project = { name = "fleet-images", arn = "arn:aws:codebuild:eu-west-1:123456789012:project/fleet-images" }
  }
  assert {
    condition = contains(flatten([for w in jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets : [
      for m in try(w.properties.metrics, []) : try("${m[0]}/${m[1]}/${m[3]}", "expression")
    ]]), "AWS/CodeBuild/FailedBuilds/fleet-images")
    error_message = "The image builds widget reads the CodeBuild project's builds."
  }
}

run "a_malformed_sns_topic_arn_is_refused" {
  command = plan
  module {
    source = "./modules/control-plane"
  }
  variables {
    monitoring = { alarm_sns_topic_arn = "on-call" }
  }
  expect_failures = [var.monitoring]
}

run "queue_minutes_out_of_range_are_refused" {
  command = plan
  module {
    source = "./modules/control-plane"
  }
  variables {
    monitoring = { alarm_queue_minutes = 0 }
  }
  expect_failures = [var.monitoring]
}
