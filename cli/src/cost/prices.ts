import type { RunnerArchitecture } from '@runner-fleet/core';

/** Per-hour Fargate prices of one architecture (Linux), USD. */
export interface FargateRates {
  vcpuHour: number;
  gbHour: number;
}

/** Everything `ecsrunner cost` prices with; a prices file overrides any part of it. */
export interface PriceTable {
  /** The day these prices were checked; printed with every report. */
  asOf: string;
  region: string;
  fargate: Record<RunnerArchitecture, FargateRates>;
  /** Ephemeral storage above the 20 GiB every task gets for free, per GB-hour. */
  ephemeralStorageGbHour: number;
  /** Fargate Spot's discount on vCPU and memory, an estimate (Spot prices move): 0.7 = 70 % off. */
  spotDiscount: number;
  /** GitHub-hosted Linux runners, per minute by core count. */
  github: Record<RunnerArchitecture, Record<string, number>>;
}

/** The storage every Fargate task gets without charge (platform 1.4+). */
export const FREE_EPHEMERAL_STORAGE_GIB = 20;

/**
 * us-east-1 list prices, checked on `asOf` (README "What the fleet costs" names the sources):
 * AWS Fargate pricing (Linux x86 / ARM per vCPU-hour and GB-hour, ephemeral storage
 * $0.000111 per GB-hour above 20 GB, Fargate Spot "up to 70 %" off), and GitHub's
 * "Actions runner pricing" from 2026-01-01 (Linux 2-core $0.006/min; larger sizes as listed).
 */
export const DEFAULT_PRICES: PriceTable = {
  asOf: '2026-12-04',
  region: 'us-east-1',
  fargate: {
    X86_64: { vcpuHour: 0.04048, gbHour: 0.004445 },
    ARM64: { vcpuHour: 0.03238, gbHour: 0.00356 },
  },
  ephemeralStorageGbHour: 0.000111,
  spotDiscount: 0.7,
  github: {
    X86_64: { '2': 0.006, '4': 0.012, '8': 0.022, '16': 0.042, '32': 0.082, '64': 0.162, '96': 0.252 },
    ARM64: { '2': 0.005, '4': 0.008, '8': 0.014, '16': 0.026, '32': 0.05, '64': 0.098 },
  },
};

const ARCHITECTURES: RunnerArchitecture[] = ['X86_64', 'ARM64'];

/**
 * The defaults with a prices file's values laid over them. Every problem of the
 * file is reported at once; nothing is guessed from a malformed file.
 */
export function mergePrices(base: PriceTable, file: unknown, source: string): PriceTable {
  const problems: string[] = [];
  const merged: PriceTable = structuredClone(base);
  if (!isObject(file)) throw new PricesFileError(source, ['the file must hold a JSON object']);
  const known = new Set(['asOf', 'region', 'fargate', 'ephemeralStorageGbHour', 'spotDiscount', 'github']);
  for (const key of Object.keys(file)) if (!known.has(key)) problems.push(`unknown key "${key}" (known: ${[...known].join(', ')})`);

  if (file.asOf !== undefined) {
    if (typeof file.asOf === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(file.asOf)) merged.asOf = file.asOf;
    else problems.push('asOf must be a date like "2026-12-04"');
  }
  if (file.region !== undefined) {
    if (typeof file.region === 'string' && file.region.length > 0) merged.region = file.region;
    else problems.push('region must be a non-empty string');
  }
  const price = (value: unknown, path: string, set: (n: number) => void) => {
    if (value === undefined) return;
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) set(value);
    else problems.push(`${path} must be a number ≥ 0 (USD)`);
  };
  price(file.ephemeralStorageGbHour, 'ephemeralStorageGbHour', (n) => (merged.ephemeralStorageGbHour = n));
  if (file.spotDiscount !== undefined) {
    if (typeof file.spotDiscount === 'number' && file.spotDiscount >= 0 && file.spotDiscount < 1) merged.spotDiscount = file.spotDiscount;
    else problems.push('spotDiscount must be a fraction from 0 to below 1 (0.7 = 70 % off)');
  }
  forEachArchitecture(file.fargate, 'fargate', problems, (arch, rates) => {
    for (const key of Object.keys(rates)) if (key !== 'vcpuHour' && key !== 'gbHour') problems.push(`fargate.${arch}: unknown key "${key}" (known: vcpuHour, gbHour)`);
    price(rates.vcpuHour, `fargate.${arch}.vcpuHour`, (n) => (merged.fargate[arch].vcpuHour = n));
    price(rates.gbHour, `fargate.${arch}.gbHour`, (n) => (merged.fargate[arch].gbHour = n));
  });
  forEachArchitecture(file.github, 'github', problems, (arch, sizes) => {
    for (const [cores, perMinute] of Object.entries(sizes)) {
      if (!/^[1-9]\d*$/.test(cores)) problems.push(`github.${arch}: "${cores}" is not a core count`);
      else price(perMinute, `github.${arch}.${cores}`, (n) => (merged.github[arch][cores] = n));
    }
  });
  if (problems.length > 0) throw new PricesFileError(source, problems);
  return merged;
}

function forEachArchitecture(value: unknown, path: string, problems: string[], each: (arch: RunnerArchitecture, entry: Record<string, unknown>) => void): void {
  if (value === undefined) return;
  if (!isObject(value)) {
    problems.push(`${path} must be an object keyed by X86_64 / ARM64`);
    return;
  }
  for (const [arch, entry] of Object.entries(value)) {
    if (!(ARCHITECTURES as string[]).includes(arch)) problems.push(`${path}: unknown architecture "${arch}" (known: ${ARCHITECTURES.join(', ')})`);
    else if (!isObject(entry)) problems.push(`${path}.${arch} must be an object`);
    else each(arch as RunnerArchitecture, entry);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class PricesFileError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source}: ${problems.join('; ')}`);
  }
}
