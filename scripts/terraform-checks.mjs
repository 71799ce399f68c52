// The Terraform checks of `npm test`: fmt, init + validate for the root, every
// module and every example, `terraform test`, and the README tables. Writes its
// own CLI config so a local provider mirror is used where there is no registry
// (TF_PROVIDER_MIRROR, or auto-detected); never skips: missing tools fail here.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const MIN_VERSION = [1, 9];
const started = Date.now();

function fail(message) {
  console.error(`\nterraform checks: ${message}`);
  process.exit(1);
}

function run(args, cwd, { quiet = false } = {}) {
  const t = Date.now();
  const out = spawnSync('terraform', args, { cwd, env, encoding: 'utf8' });
  if (out.error) fail(`could not run terraform: ${out.error.message}`);
  const where = relative(root, cwd) || '.';
  if (out.status !== 0) {
    process.stderr.write(out.stdout + out.stderr);
    fail(`"terraform ${args.join(' ')}" failed in ${where}`);
  }
  if (!quiet) process.stdout.write(out.stdout);
  console.log(`  ok  terraform ${args[0]} ${where} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  return out.stdout;
}

// 1. Terraform itself.
const env = { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' };
const version = spawnSync('terraform', ['version', '-json'], { env, encoding: 'utf8' });
if (version.error || version.status !== 0) {
  fail(`Terraform ≥ ${MIN_VERSION.join('.')} is required but "terraform" was not found on PATH. Install it from https://developer.hashicorp.com/terraform/install (or your package manager), then run npm test again.`);
}
const tfVersion = JSON.parse(version.stdout).terraform_version;
const [major, minor] = tfVersion.split('.').map(Number);
if (major < MIN_VERSION[0] || (major === MIN_VERSION[0] && minor < MIN_VERSION[1])) fail(`Terraform ${tfVersion} is too old; ≥ ${MIN_VERSION.join('.')} is required.`);

// 2. Where the hashicorp/aws provider comes from.
const candidates = [
  process.env.TF_PROVIDER_MIRROR,
  '/opt/tf-plugins',
  join(homedir(), '.terraform.d/plugins'),
  join(homedir(), '.local/share/terraform/plugins'),
  '/usr/local/share/terraform/plugins',
  '/usr/share/terraform/plugins',
].filter(Boolean);
const mirror = candidates.find((dir) => existsSync(join(dir, 'registry.terraform.io/hashicorp/aws')));
if (process.env.TF_PROVIDER_MIRROR && mirror !== process.env.TF_PROVIDER_MIRROR) {
  fail(`TF_PROVIDER_MIRROR=${process.env.TF_PROVIDER_MIRROR} holds no registry.terraform.io/hashicorp/aws provider.`);
}
const cliDir = join(root, '.tfcli');
mkdirSync(join(cliDir, 'plugin-cache'), { recursive: true });
const configFile = join(cliDir, 'terraformrc');
const installation = mirror
  ? `provider_installation {\n  filesystem_mirror {\n    path    = ${JSON.stringify(mirror)}\n    include = ["registry.terraform.io/hashicorp/*"]\n  }\n}\n`
  : '';
writeFileSync(configFile, `# Written by scripts/terraform-checks.mjs\n${installation}plugin_cache_dir = ${JSON.stringify(join(cliDir, 'plugin-cache'))}\n`);
env.TF_CLI_CONFIG_FILE = configFile;
console.log(`Terraform ${tfVersion}; hashicorp/aws from ${mirror ? `the mirror ${mirror}` : 'the registry'}`);

// 3. The checks.
const dirs = [
  root,
  ...readdirSync(join(root, 'modules')).map((d) => join(root, 'modules', d)),
  ...readdirSync(join(root, 'examples')).map((d) => join(root, 'examples', d)),
];
run(['fmt', '-check', '-recursive', '-diff'], root);
for (const dir of dirs) {
  const init = spawnSync('terraform', ['init', '-backend=false', '-input=false', '-no-color'], { cwd: dir, env, encoding: 'utf8' });
  if (init.status !== 0) {
    process.stderr.write(init.stdout + init.stderr);
    fail(
      `terraform init failed in ${relative(root, dir) || '.'}. ` +
        (mirror ? '' : 'No provider mirror was found and the registry may be out of reach: set TF_PROVIDER_MIRROR to a directory holding registry.terraform.io/hashicorp/aws. '),
    );
  }
  run(['validate', '-no-color'], dir, { quiet: true });
}
const tests = run(['test', '-no-color'], root, { quiet: true });
const summary = tests.trim().split('\n').pop();
console.log(`  ${summary}`);

const docs = spawnSync(process.execPath, [join(root, 'scripts/tf-docs.mjs'), '--check'], { env, encoding: 'utf8', stdio: 'inherit' });
if (docs.status !== 0) fail('README inputs/outputs tables are stale.');

console.log(`Terraform checks passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
