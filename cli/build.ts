/**
 * Bundles the commands into cli/dist/index.js and the failure reporting into
 * cli/dist/errors.js (the workspace's TypeScript core is inlined; npm
 * dependencies stay external) and writes oclif.manifest.json, so
 * `ecsrunner --help` needs no command code.
 */
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
rmSync(join(root, 'dist'), { recursive: true, force: true });
rmSync(join(root, 'oclif.manifest.json'), { force: true });

await build({
  // errors.js: bin/run.js reports failures that happen before any command runs.
  entryPoints: [join(root, 'src/index.ts'), join(root, 'src/errors.ts')],
  outdir: join(root, 'dist'),
  // Commands load their SDK clients with import(); chunks keep those imports lazy.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  external: Object.keys(pkg.dependencies).flatMap((name) => [name, `${name}/*`]),
  logLevel: 'warning',
});

execFileSync(process.execPath, [join(root, '../node_modules/oclif/bin/run.js'), 'manifest'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
console.warn('built cli/dist/index.js and cli/oclif.manifest.json');
