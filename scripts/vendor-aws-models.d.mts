// Types of what scripts/vendor-aws-models.mjs exports to the TypeScript that reuses it.
export declare const SIMULATED_OPERATIONS: Record<string, string[]>;
export declare function botocoreData(): { dir: string; version: string } | undefined;
export declare function loadServiceModel(dataDir: string, service: string): unknown;
export declare function extractModel(model: unknown, service: string, operations: string[], botocoreVersion: string): unknown;
export declare function deriveAll(data: { dir: string; version: string }): Record<string, string>;
