/**
 * `npm run symbolicate -- [--maps DIR] [FILE]`: rewrites the bundle positions in a log (a stack
 * trace from CloudWatch, Powertools' JSON lines included) into positions in our TypeScript sources.
 *
 * The deployment zip holds no source maps (docs/design-notes.md "Bundle layout and source maps"):
 * they are in lambda/dist beside the build, or in control-plane.maps.zip, which an operator unpacks
 * for the build that is deployed (`unzip control-plane.maps.zip -d maps`, then `--maps maps`).
 * Reads FILE, or standard input.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** `index.mjs:1:2345` or `chunks/chunk-X.mjs:1:2345`, after any directory (/var/task/, file:///var/task/). */
const BUNDLE_POSITION = /(?:file:\/\/)?(?:[^\s():"'\\]*\/)?((?:chunks\/)?[\w.-]+\.mjs):(\d+):(\d+)/g;

type Mapped = { source: string; line: number; column: number };

/** Maps one 1-based bundle position to its source position, or undefined when no map knows it. */
function lookup(maps: Map<string, SourceMap | undefined>, mapsDir: string, file: string, line: number, column: number): Mapped | undefined {
  if (!maps.has(file)) {
    const path = join(mapsDir, `${file}.map`);
    maps.set(file, existsSync(path) ? new SourceMap(JSON.parse(readFileSync(path, 'utf8'))) : undefined);
  }
  const map = maps.get(file);
  // findEntry counts from 0; stack traces from 1.
  const entry = map?.findEntry(line - 1, column - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number } | undefined;
  if (!entry?.originalSource) return undefined;
  // Sources are relative to the map's own folder; named from the repository root (lambda/dist is two below it).
  const source = entry.originalSource.startsWith('file:') ? fileURLToPath(entry.originalSource) : posix.normalize(posix.join('lambda/dist', posix.dirname(file), entry.originalSource));
  return { source, line: entry.originalLine! + 1, column: entry.originalColumn! + 1 };
}

/** The text with each bundle position followed by the source position it came from. */
export function symbolicate(text: string, mapsDir: string): string {
  const maps = new Map<string, SourceMap | undefined>();
  return text.replace(BUNDLE_POSITION, (whole, file: string, line: string, column: string) => {
    const mapped = lookup(maps, mapsDir, file, Number(line), Number(column));
    return mapped ? `${mapped.source}:${mapped.line}:${mapped.column} [${whole}]` : whole;
  });
}

function main(argv: string[]): void {
  const mapsAt = argv.indexOf('--maps');
  const mapsDir = mapsAt >= 0 ? argv[mapsAt + 1] : join(dirname(fileURLToPath(import.meta.url)), 'dist');
  if (!mapsDir || !existsSync(mapsDir)) throw new Error(`no source maps at ${mapsDir ?? '(missing --maps value)'}: run npm run build -w lambda, or unzip control-plane.maps.zip and pass --maps DIR`);
  const files = argv.filter((_, i) => i !== mapsAt && i !== mapsAt + 1);
  if (files.length > 1) throw new Error('usage: npm run symbolicate -- [--maps DIR] [FILE]');
  const text = readFileSync(files[0] ?? 0, 'utf8');
  process.stdout.write(symbolicate(text, mapsDir));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    console.error(`symbolicate: ${(error as Error).message}`);
    process.exit(1);
  }
}
