import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { symbolicate } from '../symbolicate.js';

/** A minified bundle built like the control plane's (external maps), whose code throws on line 4 of its source. */
describe('npm run symbolicate', () => {
  let root: string;
  let stack: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'symbolicate-'));
    mkdirSync(join(root, 'lambda/src'), { recursive: true });
    writeFileSync(join(root, 'lambda/src/boom.ts'), ['export function launch(tag: string): never {', '  const reason = `no image ${tag}`;', '  // the throw is on line 4', '  throw new Error(reason);', '}', "launch('x');", ''].join('\n'));
    await build({ entryPoints: [join(root, 'lambda/src/boom.ts')], outdir: join(root, 'lambda/dist'), outExtension: { '.js': '.mjs' }, bundle: true, format: 'esm', platform: 'node', minify: true, sourcemap: 'external', sourcesContent: false, logLevel: 'silent' });
    const run = spawnSync(process.execPath, [join(root, 'lambda/dist/boom.mjs')], { encoding: 'utf8' });
    stack = run.stderr;
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('names the TypeScript source and line of a minified stack frame', () => {
    expect(stack).toMatch(/boom\.mjs:1:\d+/);
    expect(symbolicate(stack, join(root, 'lambda/dist'))).toMatch(/lambda\/src\/boom\.ts:4:\d+ \[file:\/\/\S*boom\.mjs:1:\d+\]/);
  });

  it('maps frames inside a JSON log line (Powertools escapes the stack)', () => {
    const logLine = JSON.stringify({ level: 'ERROR', message: 'dispatch failed', error: { stack: stack.replace(/file:\/\/\S*\/dist\//g, '/var/task/') } });
    expect(symbolicate(logLine, join(root, 'lambda/dist'))).toMatch(/lambda\/src\/boom\.ts:4:\d+ \[\/var\/task\/boom\.mjs:1:\d+\]/);
  });

  it('leaves positions no map knows as they are', () => {
    const line = '    at x (/var/task/chunks/chunk-NOTBUILT.mjs:1:99)';
    expect(symbolicate(line, join(root, 'lambda/dist'))).toBe(line);
  });
});
