output "webhook_url" {
  description = "URL to set as the GitHub webhook's payload URL (content type JSON, event workflow_job)."
  value       = "${aws_apigatewayv2_stage.this.invoke_url}webhook"
}

output "runner_table_name" {
  description = "DynamoDB table of runner records (RUNNER_TABLE for ecsrunner)."
  value       = aws_dynamodb_table.this.name
}

output "runner_table_arn" {
  description = "ARN of the runner table."
  value       = aws_dynamodb_table.this.arn
}

output "class_sizes_parameter_name" {
  description = "SSM parameter with the class sizes (CLASS_SIZES_PARAM for ecsrunner)."
  value       = aws_ssm_parameter.class_sizes.name
}

output "lambda_function_name" {
  description = "Name of the control-plane Lambda."
  value       = aws_lambda_function.this.function_name
}

output "lambda_function_arn" {
  description = "ARN of the control-plane Lambda."
  value       = aws_lambda_function.this.arn
}

output "lambda_role_arn" {
  description = "ARN of the control-plane Lambda's role."
  value       = aws_iam_role.lambda.arn
}

output "lambda_environment" {
  description = "The Lambda's environment (parameter names only; no secrets)."
  value       = local.lambda_environment
}

output "event_bus_name" {
  description = "Name of the fleet's EventBridge bus."
  value       = aws_cloudwatch_event_bus.this.name
}

output "dead_letter_queue_url" {
  description = "SQS queue that receives events the control plane could not process after retries."
  value       = aws_sqs_queue.dead_letter.url
}

output "dead_letter_queue_arn" {
  description = "ARN of the dead-letter queue."
  value       = aws_sqs_queue.dead_letter.arn
}

output "class_sizes_json" {
  description = "The class sizes as written to the parameter (DESIGN §5)."
  value       = local.class_sizes_json
}

output "dashboard_name" {
  description = "Name of the fleet's CloudWatch dashboard (null when create_dashboard is false)."
  value       = try(aws_cloudwatch_dashboard.this[0].dashboard_name, null)
}

output "lambda_log_group_name" {
  description = "Log group of the control-plane Lambda."
  value       = aws_cloudwatch_log_group.lambda.name
}
