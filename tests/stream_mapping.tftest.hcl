# The runner table's stream and the event source mapping that feeds dispatch: every setting must be
# the one in modules/control-plane/stream-mapping.json, the file the sandbox loads, so an edit of
# either side alone fails here.

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

run "stream_mapping_matches_the_json" {
  command = plan
  module {
    source = "./modules/control-plane"
  }

  assert {
    condition     = aws_dynamodb_table.this.stream_enabled == true && aws_dynamodb_table.this.stream_view_type == "NEW_IMAGE"
    error_message = "The runner table must have its stream on with NEW_IMAGE: dispatch reads the new image of each write."
  }

  assert {
    condition     = toset(keys(aws_lambda_event_source_mapping.stream)) == toset(keys(jsondecode(file("./modules/control-plane/stream-mapping.json")))) && length(aws_lambda_event_source_mapping.stream) == 2
    error_message = "One mapping per entry of stream-mapping.json: launches and job_updates."
  }

  assert {
    condition     = alltrue([for m in values(aws_lambda_event_source_mapping.stream) : m.event_source_arn == aws_dynamodb_table.this.stream_arn && m.function_name == aws_lambda_function.this.arn])
    error_message = "Each mapping must read the runner table's stream and invoke the control-plane Lambda."
  }

  assert {
    condition     = alltrue([for m in values(aws_lambda_event_source_mapping.stream) : m.starting_position == "TRIM_HORIZON"])
    error_message = "The mappings start at TRIM_HORIZON: what was written before a mapping existed (the function goes live first) is dispatched too."
  }

  assert {
    condition = alltrue([for name, want in jsondecode(file("./modules/control-plane/stream-mapping.json")) : alltrue([
      aws_lambda_event_source_mapping.stream[name].batch_size == want.batch_size,
      aws_lambda_event_source_mapping.stream[name].maximum_batching_window_in_seconds == want.maximum_batching_window_in_seconds,
      aws_lambda_event_source_mapping.stream[name].parallelization_factor == want.parallelization_factor,
      aws_lambda_event_source_mapping.stream[name].bisect_batch_on_function_error == want.bisect_batch_on_function_error,
      aws_lambda_event_source_mapping.stream[name].maximum_retry_attempts == want.maximum_retry_attempts,
      aws_lambda_event_source_mapping.stream[name].maximum_record_age_in_seconds == want.maximum_record_age_in_seconds,
    ])])
    error_message = "batch_size, maximum_batching_window_in_seconds, parallelization_factor, bisect_batch_on_function_error, maximum_retry_attempts and maximum_record_age_in_seconds must be stream-mapping.json's, per mapping."
  }

  assert {
    # Decoded and encoded again (jsonencode sorts keys), so key order and spacing do not matter, the patterns do.
    condition = alltrue([for name, want in jsondecode(file("./modules/control-plane/stream-mapping.json")) :
      length(aws_lambda_event_source_mapping.stream[name].filter_criteria) == 1 &&
      toset([for f in one(aws_lambda_event_source_mapping.stream[name].filter_criteria).filter : jsonencode(jsondecode(f.pattern))]) == toset([for f in values(want.filters) : jsonencode(f)])
    ])
    error_message = "Each mapping's filter patterns must be exactly its stream-mapping.json filters."
  }

  assert {
    condition     = alltrue([for m in values(aws_lambda_event_source_mapping.stream) : m.function_response_types == toset(["ReportBatchItemFailures"])])
    error_message = "routes/stream.ts answers with batchItemFailures: function_response_types must be [\"ReportBatchItemFailures\"]."
  }

  assert {
    condition     = alltrue([for m in values(aws_lambda_event_source_mapping.stream) : one(one(m.destination_config).on_failure).destination_arn == aws_sqs_queue.dead_letter.arn])
    error_message = "A batch that fails every retry must go to the dead-letter queue (on-failure destination)."
  }
}

run "stream_permissions_least_privilege" {
  command = plan
  module {
    source = "./modules/control-plane"
  }

  assert {
    condition = one([for s in jsondecode(aws_iam_role_policy.lambda.policy).Statement : s if s.Sid == "ReadRunnerStream"]) == {
      Sid      = "ReadRunnerStream"
      Effect   = "Allow"
      Action   = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]
      Resource = "arn:aws:dynamodb:eu-west-1:123456789012:table/mock/stream/2026-01-01T00:00:00.000"
    }
    error_message = "The stream's read actions must be granted on the table's stream ARN only."
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.lambda.policy).Statement : s.Action if contains(flatten([s.Resource]), "*") && contains(flatten([s.Action]), "dynamodb:ListStreams")] == [["dynamodb:ListStreams"]]
    error_message = "dynamodb:ListStreams (no resource type) gets \"*\" in a statement of its own, with no other action."
  }

  assert {
    condition     = anytrue([for s in jsondecode(aws_iam_role_policy.lambda.policy).Statement : s.Effect == "Allow" && contains(flatten([s.Action]), "sqs:SendMessage") && flatten([s.Resource]) == [aws_sqs_queue.dead_letter.arn]])
    error_message = "The Lambda's role must be able to send to the dead-letter queue: the mapping's on-failure destination."
  }
}
