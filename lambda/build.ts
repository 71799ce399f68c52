/**
 * Bundles the control plane into lambda/dist/control-plane.zip:
 * index.mjs (exports `handler`) and its source map, for the Node.js 22 runtime.
 */
import { build } from 'esbuild';
import { createWriteStream, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import yazl from 'yazl';

const root = dirname(fileURLToPath(import.meta.url));
const outDir = join(root, 'dist');
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

await build({
  entryPoints: [join(root, 'src/index.ts')],
  outdir: outDir,
  // The entry holds the handler and routes; the AWS SDK and Octokit load on the first event.
  splitting: true,
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  // The oldest runtime lambda_runtime allows (nodejs20.x), so one bundle runs on all of them.
  target: 'node20',
  format: 'esm',
  minify: true,
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'external',
  // Some bundled CommonJS code calls require(); give ESM output one.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: 'warning',
});

const zipPath = join(outDir, 'control-plane.zip');
await new Promise<void>((resolve, reject) => {
  const zip = new yazl.ZipFile();
  // A fixed mtime keeps the zip byte-identical for identical code, so Terraform sees no change.
  const mtime = new Date('2020-01-01T00:00:00Z');
  const files = readdirSync(outDir, { recursive: true, withFileTypes: true })
    .filter((f) => f.isFile() && /\.mjs(\.map)?$/.test(f.name))
    .map((f) => relative(outDir, join(f.parentPath, f.name)))
    .sort();
  for (const name of files) zip.addBuffer(readFileSync(join(outDir, name)), name, { mtime, mode: 0o644 });
  zip.outputStream.pipe(createWriteStream(zipPath)).on('close', resolve).on('error', reject);
  zip.end();
});
console.warn(`built ${zipPath} (${(statSync(zipPath).size / 1024).toFixed(0)} KiB zipped, index.mjs ${(statSync(join(outDir, 'index.mjs')).size / 1024).toFixed(0)} KiB)`);
