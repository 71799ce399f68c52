# Dispatch follows the runner table's stream: ingress makes one conditional write per accepted
# job, and this mapping delivers the INSERTs its filters let through to the same Lambda (the
# handler routes `aws:dynamodb` records to routes/stream.ts, which answers with
# batchItemFailures). Every setting comes from stream-mapping.json, the file the sandbox loads
# too, so the local stream and the deployed one cannot drift.

locals {
  stream_mapping = jsondecode(file("${path.module}/stream-mapping.json"))
}

resource "aws_lambda_event_source_mapping" "stream" {
  event_source_arn  = aws_dynamodb_table.this.stream_arn
  function_name     = aws_lambda_function.this.arn
  starting_position = "LATEST"

  batch_size                         = local.stream_mapping.batch_size
  maximum_batching_window_in_seconds = local.stream_mapping.maximum_batching_window_in_seconds
  parallelization_factor             = local.stream_mapping.parallelization_factor
  bisect_batch_on_function_error     = local.stream_mapping.bisect_batch_on_function_error
  maximum_retry_attempts             = local.stream_mapping.maximum_retry_attempts
  maximum_record_age_in_seconds      = local.stream_mapping.maximum_record_age_in_seconds

  # routes/stream.ts reports the records it could not hand off; only those are retried.
  function_response_types = ["ReportBatchItemFailures"]

  # The filters are ORed: a record reaches the function when one of them matches it.
  filter_criteria {
    dynamic "filter" {
      for_each = local.stream_mapping.filters
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
    # AWS's limits for DynamoDB stream mappings (Lambda API, CreateEventSourceMapping), checked at
    # plan so a bad edit of stream-mapping.json fails here, not halfway through an apply.
    precondition {
      condition     = local.stream_mapping.batch_size >= 1 && local.stream_mapping.batch_size <= 10000 && floor(local.stream_mapping.batch_size) == local.stream_mapping.batch_size
      error_message = "stream-mapping.json: batch_size must be a whole number from 1 to 10000."
    }
    precondition {
      condition     = local.stream_mapping.maximum_batching_window_in_seconds >= 0 && local.stream_mapping.maximum_batching_window_in_seconds <= 300
      error_message = "stream-mapping.json: maximum_batching_window_in_seconds must be from 0 to 300."
    }
    precondition {
      condition     = local.stream_mapping.parallelization_factor >= 1 && local.stream_mapping.parallelization_factor <= 10
      error_message = "stream-mapping.json: parallelization_factor must be from 1 to 10."
    }
    precondition {
      condition     = local.stream_mapping.maximum_retry_attempts >= -1 && local.stream_mapping.maximum_retry_attempts <= 10000
      error_message = "stream-mapping.json: maximum_retry_attempts must be -1 (until the record expires) or 0 to 10000."
    }
    precondition {
      condition     = local.stream_mapping.maximum_record_age_in_seconds == -1 || (local.stream_mapping.maximum_record_age_in_seconds >= 60 && local.stream_mapping.maximum_record_age_in_seconds <= 604800)
      error_message = "stream-mapping.json: maximum_record_age_in_seconds must be -1 (no limit) or 60 to 604800."
    }
    precondition {
      # Five filters per mapping is Lambda's default quota (10 after a quota increase); a pattern is at most 4096 characters.
      condition     = length(local.stream_mapping.filters) >= 1 && length(local.stream_mapping.filters) <= 5 && alltrue([for f in values(local.stream_mapping.filters) : length(jsonencode(f)) <= 4096])
      error_message = "stream-mapping.json: filters must hold 1 to 5 patterns (Lambda's default quota), each at most 4096 characters as JSON."
    }
  }

  # The role must be able to read the stream and send to the queue before Lambda starts polling,
  # or the first apply races the policy and the mapping is created with a permissions error.
  depends_on = [aws_iam_role_policy.lambda]
}
