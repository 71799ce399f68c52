export * from './statuses.js';
export * from './errors.js';
export * from './fargate.js';
export * from './class-sizes.js';
export * from './oci-reference.js';
export * from './image-pattern.js';
export * from './labels.js';
export * from './image-tag.js';
export * from './base-family.js';
export * from './runner-record.js';
export * from './fleet-descriptor.js';
// The DynamoDB-backed RunnerStore is its own entry, '@runner-fleet/core/store', so pure code loads no AWS SDK.
export type { RunnerStore, RecordRef, AdvanceResult, ListPage, RunnerStoreOptions } from './runner-store.js';
export type { ImageBuildRecord, BuildStatus } from './runner-store.js';
export type { CapacityLedger } from './capacity-ledger.js';
