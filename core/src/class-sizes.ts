import { describeFargateMemory, isValidFargatePair } from './fargate.js';

export interface ClassSize {
  cpu: number;
  memory: number;
  /** Launch on Fargate Spot when true. */
  spot: boolean;
}

/**
 * Class sizes by lower-case class name. A Map, not an object: class names come
 * from job labels, and a lookup must never find `constructor` or `__proto__`
 * through a prototype.
 */
export type ClassSizes = ReadonlyMap<string, ClassSize>;

const CLASS_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/**
 * Parses the class-sizes JSON that Terraform writes to CLASS_SIZES_PARAM
 * (DESIGN §5). Class names are lower-cased, since label matching is
 * case-insensitive. Every problem is reported in one error.
 */
export function parseClassSizes(json: string): ClassSizes {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new Error('class sizes are not valid JSON; expected {"small":{"cpu":512,"memory":1024}, …}');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new Error('class sizes must be a JSON object of {"<class>":{"cpu":N,"memory":N,"spot":bool}}');
  }
  const problems: string[] = [];
  const sizes = new Map<string, ClassSize>();
  for (const [name, value] of Object.entries(raw)) {
    const key = name.toLowerCase();
    if (!CLASS_NAME.test(key)) problems.push(`class "${name}": name must match ${CLASS_NAME.source}`);
    if (typeof value !== 'object' || value === null) {
      problems.push(`class "${name}": must be an object with cpu and memory`);
      continue;
    }
    const { cpu, memory, spot } = value as Record<string, unknown>;
    if (!Number.isInteger(cpu) || !Number.isInteger(memory)) {
      problems.push(`class "${name}": cpu and memory must be integers (CPU units and MiB)`);
      continue;
    }
    if (!isValidFargatePair(cpu as number, memory as number)) {
      problems.push(`class "${name}": ${cpu}/${memory} is not a Fargate cpu/memory pair (${describeFargateMemory(cpu as number)})`);
    }
    if (spot !== undefined && spot !== null && typeof spot !== 'boolean') {
      problems.push(`class "${name}": spot must be true or false`);
    }
    if (sizes.has(key)) problems.push(`class "${name}": defined twice (names are case-insensitive)`);
    sizes.set(key, { cpu: cpu as number, memory: memory as number, spot: spot === true });
  }
  if (sizes.size === 0) problems.push('at least one class must be defined');
  if (problems.length) throw new Error(`invalid class sizes: ${problems.join('; ')}`);
  return sizes;
}
