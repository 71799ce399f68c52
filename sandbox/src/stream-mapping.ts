import { readFileSync } from 'node:fs';
import type { StreamMapping } from './aws/dynamodb-stream.js';

interface MappingSettings {
  batch_size: number;
  maximum_batching_window_in_seconds: number;
  parallelization_factor: number;
  bisect_batch_on_function_error: boolean;
  maximum_retry_attempts: number;
  maximum_record_age_in_seconds: number;
  filters: Record<string, Record<string, unknown>>;
}

/**
 * The event source mappings' settings and filters, read from the file Terraform reads
 * (modules/control-plane/stream-mapping.json), so the sandbox delivers the stream as the
 * deployed mappings will. Two mappings read the one stream: launches, and job updates
 * (in_progress, completed), so a slow launch never holds back the job updates behind it.
 */
export function loadStreamMappings(): Array<Omit<StreamMapping, 'functionArn' | 'onFailure'>> {
  const file = JSON.parse(readFileSync(new URL('../../modules/control-plane/stream-mapping.json', import.meta.url), 'utf8')) as Record<string, MappingSettings>;
  return Object.entries(file).map(([name, m]) => ({
    name,
    filters: Object.values(m.filters),
    batchSize: m.batch_size,
    maximumRetryAttempts: m.maximum_retry_attempts,
    maximumRecordAgeSeconds: m.maximum_record_age_in_seconds,
    bisectBatchOnFunctionError: m.bisect_batch_on_function_error,
    // Terraform sets function_response_types = ["ReportBatchItemFailures"].
    reportBatchItemFailures: true,
    parallelizationFactor: m.parallelization_factor,
  }));
}
