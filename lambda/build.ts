/**
 * Bundles the control plane into lambda/dist/control-plane.zip:
 * index.mjs (exports `handler`) and its chunks, for the Node.js runtimes; the source maps go to
 * lambda/dist/control-plane.maps.zip (not deployed), the metafile to lambda/dist/meta.json.
 */
import { build } from 'esbuild';
import { createWriteStream, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import yazl from 'yazl';

const root = dirname(fileURLToPath(import.meta.url));
const outDir = join(root, 'dist');
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

const result = await build({
  entryPoints: [join(root, 'src/index.ts')],
  outdir: outDir,
  // The entry holds the handler and the ingress route; the bus routes, the AWS SDK and Octokit load on first use.
  splitting: true,
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  // ES module builds of the AWS SDK and Octokit: for platform node esbuild would prefer `main` (CommonJS),
  // which the first event then compiles and wraps in require() shims.
  mainFields: ['module', 'main'],
  // The oldest runtime lambda_runtime allows (nodejs20.x), so one bundle runs on all of them.
  target: 'node20',
  format: 'esm',
  minify: true,
  // Maps go to a separate artefact (control-plane.maps.zip), not into the deployment zip; see
  // docs/design-notes.md "Bundle layout and source maps" and `npm run symbolicate`.
  sourcemap: 'external',
  sourcesContent: false,
  metafile: true,
  legalComments: 'external',
  // The SDK probes for optional packages with require() (signature-v4-crt) and mnemonist, its one CommonJS
  // dependency (DynamoDB's endpoint cache), is bundled with a require shim: ESM output needs a require.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: 'warning',
});

writeFileSync(join(outDir, 'meta.json'), JSON.stringify(result.metafile));

/** A zip of `names` (relative to dist); a fixed mtime keeps it byte-identical for identical code, so Terraform sees no change. */
function writeZip(zipPath: string, names: string[]): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const zip = new yazl.ZipFile();
    const mtime = new Date('2020-01-01T00:00:00Z');
    for (const name of names) zip.addBuffer(readFileSync(join(outDir, name)), name, { mtime, mode: 0o644 });
    zip.outputStream.pipe(createWriteStream(zipPath)).on('close', resolve).on('error', reject);
    zip.end();
  });
}

const built = readdirSync(outDir, { recursive: true, withFileTypes: true })
  .filter((f) => f.isFile())
  .map((f) => relative(outDir, join(f.parentPath, f.name)))
  .sort();
const zipPath = join(outDir, 'control-plane.zip');
const mapsPath = join(outDir, 'control-plane.maps.zip');
await writeZip(zipPath, built.filter((name) => name.endsWith('.mjs')));
await writeZip(mapsPath, built.filter((name) => name.endsWith('.mjs.map')));

const cjsInputs = Object.entries(result.metafile.inputs).filter(([, input]) => input.format === 'cjs').map(([path]) => path);
const kib = (path: string) => `${(statSync(path).size / 1024).toFixed(0)} KiB`;
console.warn(`built ${zipPath} (${kib(zipPath)}, index.mjs ${kib(join(outDir, 'index.mjs'))}), maps ${mapsPath} (${kib(mapsPath)}); CommonJS inputs: ${cjsInputs.length ? cjsInputs.join(', ') : 'none'}`);
