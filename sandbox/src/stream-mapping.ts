import { readFileSync } from 'node:fs';
import type { StreamMapping } from './aws/dynamodb-stream.js';

interface MappingFile {
  batch_size: number;
  maximum_batching_window_in_seconds: number;
  parallelization_factor: number;
  bisect_batch_on_function_error: boolean;
  maximum_retry_attempts: number;
  maximum_record_age_in_seconds: number;
  filters: Record<string, Record<string, unknown>>;
}

/**
 * The event source mapping's settings and filters, read from the file Terraform reads
 * (modules/control-plane/stream-mapping.json), so the sandbox delivers the stream as the
 * deployed mapping will.
 */
export function loadStreamMapping(): Omit<StreamMapping, 'functionArn' | 'onFailure'> {
  const file = JSON.parse(readFileSync(new URL('../../modules/control-plane/stream-mapping.json', import.meta.url), 'utf8')) as MappingFile;
  return {
    filters: Object.values(file.filters),
    batchSize: file.batch_size,
    maximumRetryAttempts: file.maximum_retry_attempts,
    maximumRecordAgeSeconds: file.maximum_record_age_in_seconds,
    bisectBatchOnFunctionError: file.bisect_batch_on_function_error,
    // Terraform sets function_response_types = ["ReportBatchItemFailures"].
    reportBatchItemFailures: true,
    parallelizationFactor: file.parallelization_factor,
  };
}
