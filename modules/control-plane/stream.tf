# Dispatch follows the runner table's stream: ingress makes one conditional write per accepted
# job, and two mappings deliver the INSERTs their filters let through to the same Lambda (the
# handler routes `aws:dynamodb` records to routes/stream.ts, which answers with
# batchItemFailures): `launches` (new queued records) and `job_updates` (in_progress/completed
# markers), so job updates never wait behind a shard's slow launches. Every setting comes from
# stream-mapping.json, the file the sandbox loads too, so the local stream and the deployed one
# cannot drift.

locals {
  stream_mappings = jsondecode(file("${path.module}/stream-mapping.json"))
}

resource "aws_lambda_event_source_mapping" "stream" {
  for_each = local.stream_mappings

  event_source_arn = aws_dynamodb_table.this.stream_arn
  function_name    = aws_lambda_function.this.arn
  # From the oldest record the stream holds (24 h): what was written while a mapping did not exist yet
  # (the function is live before its mappings; a mapping replaced) is still dispatched. A replay is
  # harmless: a queued record that moved on is skipped, and job updates are idempotent.
  starting_position = "TRIM_HORIZON"

  batch_size                         = each.value.batch_size
  maximum_batching_window_in_seconds = each.value.maximum_batching_window_in_seconds
  parallelization_factor             = each.value.parallelization_factor
  bisect_batch_on_function_error     = each.value.bisect_batch_on_function_error
  maximum_retry_attempts             = each.value.maximum_retry_attempts
  maximum_record_age_in_seconds      = each.value.maximum_record_age_in_seconds

  # routes/stream.ts reports the records it could not hand off; only those are retried.
  function_response_types = ["ReportBatchItemFailures"]

  # The filters are ORed: a record reaches the function when one of them matches it.
  filter_criteria {
    dynamic "filter" {
      for_each = each.value.filters
      content {
        pattern = jsonencode(filter.value)
      }
    }
  }

  # A batch that failed every retry (or aged out) is sent here as an on-failure invocation record
  # (its shard and sequence numbers, not the items): the Lambda's role sends it (DeadLetters in iam.tf).
  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.dead_letter.arn
    }
  }

  tags = var.tags

  lifecycle {
    precondition {
      # DynamoDB Streams: more than two readers of a shard at once are throttled.
      condition     = length(local.stream_mappings) >= 1 && length(local.stream_mappings) <= 2
      error_message = "stream-mapping.json, ${each.key}: one or two mappings; DynamoDB Streams throttles a shard read by more than two consumers."
    }
    # AWS's limits for DynamoDB stream mappings (Lambda API, CreateEventSourceMapping), checked at
    # plan so a bad edit of stream-mapping.json fails here, not halfway through an apply.
    precondition {
      condition     = each.value.batch_size >= 1 && each.value.batch_size <= 10000 && floor(each.value.batch_size) == each.value.batch_size
      error_message = "stream-mapping.json, ${each.key}: batch_size must be a whole number from 1 to 10000."
    }
    precondition {
      condition     = each.value.maximum_batching_window_in_seconds >= 0 && each.value.maximum_batching_window_in_seconds <= 300
      error_message = "stream-mapping.json, ${each.key}: maximum_batching_window_in_seconds must be from 0 to 300."
    }
    precondition {
      condition     = each.value.parallelization_factor >= 1 && each.value.parallelization_factor <= 10
      error_message = "stream-mapping.json, ${each.key}: parallelization_factor must be from 1 to 10."
    }
    precondition {
      condition     = each.value.maximum_retry_attempts >= -1 && each.value.maximum_retry_attempts <= 10000
      error_message = "stream-mapping.json, ${each.key}: maximum_retry_attempts must be -1 (until the record expires) or 0 to 10000."
    }
    precondition {
      condition     = each.value.maximum_record_age_in_seconds == -1 || (each.value.maximum_record_age_in_seconds >= 60 && each.value.maximum_record_age_in_seconds <= 604800)
      error_message = "stream-mapping.json, ${each.key}: maximum_record_age_in_seconds must be -1 (no limit) or 60 to 604800."
    }
    precondition {
      # Five filters per mapping is Lambda's default quota (10 after a quota increase); a pattern is at most 4096 characters.
      condition     = length(each.value.filters) >= 1 && length(each.value.filters) <= 5 && alltrue([for f in values(each.value.filters) : length(jsonencode(f)) <= 4096])
      error_message = "stream-mapping.json, ${each.key}: filters must hold 1 to 5 patterns (Lambda's default quota), each at most 4096 characters as JSON."
    }
  }

  # The role must be able to read the stream and send to the queue before Lambda starts polling,
  # or the first apply races the policy and the mapping is created with a permissions error.
  depends_on = [aws_iam_role_policy.lambda]
}
