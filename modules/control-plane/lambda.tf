resource "aws_cloudwatch_log_group" "lambda" {
  name              = "/aws/lambda/${local.function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_lambda_function" "this" {
  function_name                  = local.function_name
  description                    = "AWS Runner Fleet control plane: webhook ingress, dispatch, task state."
  role                           = aws_iam_role.lambda.arn
  runtime                        = var.lambda_runtime
  architectures                  = ["arm64"]
  handler                        = "index.handler"
  filename                       = var.lambda_zip
  source_code_hash               = filebase64sha256(var.lambda_zip)
  memory_size                    = var.lambda.memory_size
  timeout                        = var.lambda.timeout
  reserved_concurrent_executions = var.lambda.reserved_concurrency

  environment {
    variables = local.lambda_environment
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.lambda.name
  }

  tags       = var.tags
  depends_on = [aws_iam_role_policy.lambda]
}

# Function errors on bus events: two retries by Lambda, then the dead-letter queue.
resource "aws_lambda_function_event_invoke_config" "this" {
  function_name                = aws_lambda_function.this.function_name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 3600

  destination_config {
    on_failure {
      destination = aws_sqs_queue.dead_letter.arn
    }
  }
}
