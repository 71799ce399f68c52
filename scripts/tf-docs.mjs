// Writes the inputs/outputs tables of each Terraform module's README between
// <!-- BEGIN_TF_DOCS --> and <!-- END_TF_DOCS -->, from its variables.tf and
// outputs.tf. With --check it changes nothing and fails when a table is stale.
import { parse } from '@cdktf/hcl2json';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const BEGIN = '<!-- BEGIN_TF_DOCS -->';
const END = '<!-- END_TF_DOCS -->';
const check = process.argv.includes('--check');

const moduleDirs = [root, ...readdirSync(join(root, 'modules')).map((m) => join(root, 'modules', m))];

const cell = (text) => String(text).replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim();
const code = (text) => `\`${cell(text)}\``;
const unwrap = (expr) => String(expr).replace(/^\$\{([\s\S]*)\}$/, '$1');

async function blocks(file, kind) {
  if (!existsSync(file)) return [];
  const parsed = await parse(file, readFileSync(file, 'utf8'));
  return Object.entries(parsed[kind] ?? {}).map(([name, [body]]) => ({ name, ...body }));
}

async function tables(dir) {
  const variables = (await blocks(join(dir, 'variables.tf'), 'variable')).sort((a, b) => Number('default' in a) - Number('default' in b) || a.name.localeCompare(b.name));
  const outputs = (await blocks(join(dir, 'outputs.tf'), 'output')).sort((a, b) => a.name.localeCompare(b.name));
  const lines = ['## Inputs', '', '| Name | Description | Type | Default | Required |', '|------|-------------|------|---------|:--------:|'];
  for (const v of variables) {
    const required = !('default' in v);
    const dflt = required ? 'n/a' : code(JSON.stringify(v.default));
    lines.push(`| ${code(v.name)} | ${cell(v.description ?? '')}${v.sensitive ? ' (sensitive)' : ''} | ${code(unwrap(v.type ?? 'any'))} | ${dflt} | ${required ? 'yes' : 'no'} |`);
  }
  lines.push('', '## Outputs', '', '| Name | Description | Sensitive |', '|------|-------------|:---------:|');
  for (const o of outputs) lines.push(`| ${code(o.name)} | ${cell(o.description ?? '')} | ${o.sensitive ? 'yes' : 'no'} |`);
  return lines.join('\n');
}

const stale = [];
for (const dir of moduleDirs) {
  const readme = join(dir, 'README.md');
  const rel = relative(root, readme) || 'README.md';
  if (!existsSync(readme)) {
    stale.push(`${rel} is missing`);
    continue;
  }
  const text = readFileSync(readme, 'utf8');
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (start < 0 || end < start) {
    stale.push(`${rel} has no ${BEGIN} … ${END} section`);
    continue;
  }
  const next = `${text.slice(0, start + BEGIN.length)}\n${await tables(dir)}\n${text.slice(end)}`;
  if (next === text) continue;
  if (check) stale.push(`${rel}: the inputs/outputs tables differ from the .tf files`);
  else {
    writeFileSync(readme, next);
    console.log(`updated ${rel}`);
  }
}
if (stale.length) {
  console.error(`Terraform docs are stale:\n  ${stale.join('\n  ')}\nRun: npm run docs:terraform`);
  process.exit(1);
}
if (check) console.log(`Terraform docs up to date (${moduleDirs.length} modules)`);
