import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { METRICS_NAMESPACE, METRICS_SERVICE } from '../src/adapters/metrics.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const monitoring = readFileSync(join(root, 'modules/control-plane/monitoring.tf'), 'utf8');

function sources(dir: string): string {
  return readdirSync(dir, { withFileTypes: true })
    .map((entry) => (entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? readFileSync(join(dir, entry.name), 'utf8') : ''))
    .join('\n');
}

/** The dashboard and alarms read metrics by name and dimensions: a rename in the Lambda must not leave them empty. */
describe('the dashboard and alarms', () => {
  it('read the namespace and dimensions the control plane writes', () => {
    expect(monitoring).toContain(`metrics_namespace = "${METRICS_NAMESPACE}"`);
    expect(monitoring).toContain(`service = "${METRICS_SERVICE}"`);
  });

  it('read only metrics the control plane writes', () => {
    const list = /fleet_metric = \{ for name in \[([^\]]+)\]/.exec(monitoring)?.[1];
    const names = [...(list ?? '').matchAll(/"(\w+)"/g)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(10);
    const domain = sources(join(root, 'lambda/src/domain')) + sources(join(root, 'lambda/src/routes'));
    const written = names.filter((name) => new RegExp(`metrics\\.(count|gauge|seconds)\\('${name}'|\\['\\w+', '${name}'\\]`).test(domain));
    expect(written).toEqual(names);
  });
});
