import { readFileSync } from 'node:fs';

/**
 * The EventBridge rule patterns, read from the same template Terraform uses
 * (modules/control-plane/event-patterns.json), so the sandbox routes events
 * exactly as the deployed rules will.
 */
export function loadEventPatterns(values: { cluster_arn: string; runner_name_prefix: string; image_build_project: string }): Record<string, Record<string, unknown>> {
  const template = readFileSync(new URL('../../modules/control-plane/event-patterns.json', import.meta.url), 'utf8');
  const filled = template.replace(/\$\{(\w+)\}/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`event-patterns.json uses an unknown placeholder \${${name}}`);
    return values[name as keyof typeof values];
  });
  return JSON.parse(filled) as Record<string, Record<string, unknown>>;
}
