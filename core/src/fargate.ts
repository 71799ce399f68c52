/**
 * Fargate's valid task cpu/memory pairs (Linux), in CPU units and MiB, as AWS
 * documents them for task definitions and RunTask overrides.
 */
const RANGES: ReadonlyArray<{ cpu: number; memory: readonly number[] }> = [
  { cpu: 256, memory: [512, 1024, 2048] },
  { cpu: 512, memory: steps(1024, 4096, 1024) },
  { cpu: 1024, memory: steps(2048, 8192, 1024) },
  { cpu: 2048, memory: steps(4096, 16384, 1024) },
  { cpu: 4096, memory: steps(8192, 30720, 1024) },
  { cpu: 8192, memory: steps(16384, 61440, 4096) },
  { cpu: 16384, memory: steps(32768, 122880, 8192) },
];

function steps(from: number, to: number, by: number): number[] {
  const out: number[] = [];
  for (let m = from; m <= to; m += by) out.push(m);
  return out;
}

export const FARGATE_CPU_VALUES: readonly number[] = RANGES.map((r) => r.cpu);

export function isValidFargatePair(cpu: number, memory: number): boolean {
  return RANGES.some((r) => r.cpu === cpu && r.memory.includes(memory));
}

/** A sentence naming the memory values allowed for `cpu`, for error messages. */
export function describeFargateMemory(cpu: number): string {
  const range = RANGES.find((r) => r.cpu === cpu);
  if (!range) return `cpu must be one of ${FARGATE_CPU_VALUES.join(', ')}`;
  const m = range.memory;
  return m.length <= 4
    ? `cpu ${cpu} allows memory ${m.join(', ')}`
    : `cpu ${cpu} allows memory ${m[0]}–${m[m.length - 1]} in steps of ${m[1]! - m[0]!}`;
}
