/**
 * EventBridge event-pattern matching for the filters the fleet's rules use:
 * exact values, `prefix`, `anything-but` and `exists`, nested to any depth.
 * A field matches when any of its values (arrays included) matches any filter.
 */
type Filter = string | number | boolean | null | { prefix?: string; 'anything-but'?: unknown; exists?: boolean };

export function matchesPattern(pattern: Record<string, unknown>, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([key, rule]) => {
    const value = event[key];
    if (Array.isArray(rule)) return matchesField(rule as Filter[], value);
    if (typeof rule === 'object' && rule !== null) {
      return typeof value === 'object' && value !== null && !Array.isArray(value) && matchesPattern(rule as Record<string, unknown>, value as Record<string, unknown>);
    }
    throw new Error(`invalid event pattern at "${key}": filters must be arrays`);
  });
}

function matchesField(filters: Filter[], value: unknown): boolean {
  const values = Array.isArray(value) ? value : [value];
  return filters.some((filter) => {
    if (typeof filter === 'object' && filter !== null) {
      if ('exists' in filter) return filter.exists === (value !== undefined);
      if (value === undefined) return false;
      if ('prefix' in filter) return values.some((v) => typeof v === 'string' && v.startsWith(filter.prefix!));
      if ('anything-but' in filter) {
        const excluded = Array.isArray(filter['anything-but']) ? filter['anything-but'] : [filter['anything-but']];
        return values.every((v) => !excluded.includes(v));
      }
      return false;
    }
    return values.some((v) => v === filter);
  });
}
