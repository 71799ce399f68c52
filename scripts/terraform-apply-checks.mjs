// `npm run test:apply`: apply the seed usage and every example against moto (tests/moto/launch_moto.py),
// then re-plan (must be "No changes") and destroy. Each configuration gets a copy of the module in a
// temp dir, its own moto on a free port and a test-only provider override; the module is unchanged.
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SERVICES = ['apigateway', 'apigatewayv2', 'cloudwatchlogs', 'codebuild', 'dynamodb', 'ec2', 'ecr', 'ecs', 'eventbridge', 'iam', 'kms', 'lambda', 'sqs', 'ssm', 'sts'];
const REGION = 'eu-west-1';
const figures = [];

function fail(message, output = '') {
  if (output) process.stderr.write(output);
  console.error(`\napply checks: ${message}`);
  process.exit(1);
}

function providerMirror() {
  const candidates = [process.env.TF_PROVIDER_MIRROR, '/opt/tf-plugins', join(homedir(), '.terraform.d/plugins'), join(homedir(), '.local/share/terraform/plugins'), '/usr/local/share/terraform/plugins', '/usr/share/terraform/plugins'].filter(Boolean);
  return candidates.find((dir) => existsSync(join(dir, 'registry.terraform.io/hashicorp/aws')));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startMoto(logFile) {
  const port = await freePort();
  const moto = spawn('python3', [join(root, 'tests/moto/launch_moto.py'), String(port), logFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  moto.stdout.on('data', (d) => (output += d));
  moto.stderr.on('data', (d) => (output += d));
  for (let i = 0; i < 300; i++) {
    if (output.includes('moto listening')) return { port, moto, output: () => output };
    if (moto.exitCode !== null) fail('moto did not start', output);
    await new Promise((r) => setTimeout(r, 100));
  }
  moto.kill();
  fail('moto did not start within 30 s', output);
}

function overrideFile(port) {
  const endpoint = `http://127.0.0.1:${port}`;
  return `# Written by scripts/terraform-apply-checks.mjs: test-only, points every service at moto.
provider "aws" {
  region                      = "${REGION}"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true

  endpoints {
${SERVICES.map((s) => `    ${s} = "${endpoint}"`).join('\n')}
  }
}
`;
}

// The module as a consumer gets it: the .tf files, modules, runner/ (the image build context) and a bundle.
function copyModule(dest) {
  for (const entry of readdirSync(root)) if (entry.endsWith('.tf')) cpSync(join(root, entry), join(dest, entry));
  cpSync(join(root, 'modules'), join(dest, 'modules'), { recursive: true, filter: (src) => !src.includes('.terraform') });
  cpSync(join(root, 'runner'), join(dest, 'runner'), { recursive: true });
  mkdirSync(join(dest, 'lambda/dist'), { recursive: true });
  cpSync(join(root, 'tests/fixtures/control-plane.zip'), join(dest, 'lambda/dist/control-plane.zip'));
}

const SEED = `provider "aws" {
  region = "${REGION}"
}

module "runner_fleet" {
  source          = "../"
  github_pat      = "ghp_0123456789abcdefghijklmnopqrstuvwxyz"
  github_repo     = "octo-org/octo-repo"
  webhook_secret  = "0123456789abcdef0123456789abcdef"
  subnet_ids      = ["subnet-0a1b2c3d"]
  security_groups = ["sg-0123456789abcdef0"]
  runner_class_sizes = {
    small  = { cpu = 512, memory = 1024 }
    medium = { cpu = 1024, memory = 2048 }
    large  = { cpu = 2048, memory = 4096 }
  }
}
`;

function terraform(args, cwd, env, { okCodes = [0] } = {}) {
  const started = Date.now();
  const out = spawnSync('terraform', [...args, '-no-color'], { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (out.error) fail(`could not run terraform: ${out.error.message}`);
  const seconds = (Date.now() - started) / 1000;
  if (!okCodes.includes(out.status)) fail(`"terraform ${args.join(' ')}" exited ${out.status} in ${cwd}`, out.stdout + out.stderr);
  return { status: out.status, stdout: out.stdout, seconds };
}

async function check(name, prepare) {
  const work = mkdtempSync(join(tmpdir(), `apply-${name}-`));
  copyModule(work);
  const dir = prepare(work);
  const logFile = join(work, 'moto-requests.jsonl');
  const { port, moto, output } = await startMoto(logFile);
  writeFileSync(join(dir, 'moto_override.tf'), overrideFile(port));
  try {
    const env = { ...baseEnv, AWS_EC2_METADATA_DISABLED: 'true' };
    terraform(['init', '-input=false', '-backend=false'], dir, env);
    const apply = terraform(['apply', '-auto-approve', '-input=false'], dir, env);
    const plan = terraform(['plan', '-detailed-exitcode', '-input=false'], dir, env, { okCodes: [0, 2] });
    if (plan.status === 2) fail(`${name}: the plan after apply is not "No changes" (a perpetual diff)`, plan.stdout);
    const destroy = terraform(['destroy', '-auto-approve', '-input=false'], dir, env);
    figures.push({ name, apply: apply.seconds, plan: plan.seconds, destroy: destroy.seconds, requests: logFile });
    console.log(`  ok  ${name}: apply ${apply.seconds.toFixed(1)} s, re-plan ${plan.seconds.toFixed(1)} s (no changes), destroy ${destroy.seconds.toFixed(1)} s`);
  } catch (error) {
    process.stderr.write(output());
    throw error;
  } finally {
    moto.kill();
  }
}

const mirror = providerMirror();
const cliDir = join(root, '.tfcli');
mkdirSync(join(cliDir, 'plugin-cache'), { recursive: true });
const configFile = join(cliDir, 'terraformrc-apply');
const installation = mirror ? `provider_installation {\n  filesystem_mirror {\n    path    = ${JSON.stringify(mirror)}\n    include = ["registry.terraform.io/hashicorp/*"]\n  }\n}\n` : '';
writeFileSync(configFile, `# Written by scripts/terraform-apply-checks.mjs\n${installation}plugin_cache_dir = ${JSON.stringify(join(cliDir, 'plugin-cache'))}\n`);
const baseEnv = { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: configFile };

const only = process.argv.slice(2);
const wanted = (name) => only.length === 0 || only.includes(name);
if (wanted('seed')) {
  await check('seed', (work) => {
    mkdirSync(join(work, 'seed'));
    writeFileSync(join(work, 'seed/main.tf'), SEED);
    return join(work, 'seed');
  });
}
for (const example of readdirSync(join(root, 'examples'))) {
  if (!wanted(example)) continue;
  await check(example, (work) => {
    const dir = join(work, 'examples', example);
    cpSync(join(root, 'examples', example), dir, { recursive: true, filter: (src) => !src.includes('.terraform') });
    const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' });
    writeFileSync(join(dir, 'app.pem'), pem);
    writeFileSync(
      join(dir, 'terraform.tfvars'),
      [
        'github_repo = "octo-org/octo-repo"',
        'webhook_secret = "0123456789abcdef0123456789abcdef"',
        ...(readdirSync(dir).some(() => true) && existsSync(join(dir, 'variables.tf')) && spawnSync('grep', ['-q', 'github_app_id', join(dir, 'variables.tf')]).status === 0
          ? ['github_app_id = 123456', 'github_app_private_key_file = "app.pem"', 'github_app_installation_id = 654321']
          : ['github_pat = "ghp_0123456789abcdefghijklmnopqrstuvwxyz"']),
      ].join('\n') + '\n',
    );
    return dir;
  });
}
console.log(JSON.stringify(figures.map((f) => ({ name: f.name, apply: f.apply, plan: f.plan, destroy: f.destroy }))));
