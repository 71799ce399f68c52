// The configurations `npm run test:apply` applies: the seed usage (README's first example: the root
// module with three classes), the same with a customer-managed KMS key, and each directory of examples/ with made-up but well-formed inputs.
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliChecks } from './cli-checks.mjs';

const REPO = 'octo-org/octo-repo';
const SECRET = '0123456789abcdef0123456789abcdef';
const PAT = 'ghp_0123456789abcdefghijklmnopqrstuvwxyz';

// A customer-managed key whose policy lets the account's IAM policies decide (AWS's default key
// policy) and lets the services the README names use it for the fleet's resources.
const KMS_KEY = `data "aws_caller_identity" "current" {}

resource "aws_kms_key" "fleet" {
  description = "AWS Runner Fleet (apply checks)"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountIamPolicies"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::\${data.aws_caller_identity.current.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "FleetServices"
        Effect    = "Allow"
        Principal = { Service = ["logs.eu-west-1.amazonaws.com", "events.amazonaws.com"] }
        Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
        Resource  = "*"
      },
    ]
  })
}
`;

function seedUsage({ kms }) {
  return `provider "aws" {
  region = "eu-west-1"
}
${kms ? `\n${KMS_KEY}` : ''}
module "runner_fleet" {
  source          = "../"
  github_pat      = "${PAT}"
  github_repo     = "${REPO}"
  webhook_secret  = "${SECRET}"
  subnet_ids      = ["subnet-0a1b2c3d"]
  security_groups = ["sg-0123456789abcdef0"]${kms ? '\n  kms_key_arn     = aws_kms_key.fleet.arn' : ''}
  runner_class_sizes = {
    small  = { cpu = 512, memory = 1024 }
    medium = { cpu = 1024, memory = 2048 }
    large  = { cpu = 2048, memory = 4096 }
  }
}

output "cli_environment" {
  value = module.runner_fleet.cli_environment
}

output "ecs_cluster_name" {
  value = module.runner_fleet.ecs_cluster_name
}
`;
}

function exampleInputs(dir) {
  const variables = readFileSync(join(dir, 'variables.tf'), 'utf8');
  const lines = [`github_repo = "${REPO}"`, `webhook_secret = "${SECRET}"`];
  if (/variable "github_app_id"/.test(variables)) {
    const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' });
    writeFileSync(join(dir, 'app.pem'), pem);
    lines.push('github_app_id = 123456', 'github_app_private_key_file = "app.pem"', 'github_app_installation_id = 654321');
  } else {
    lines.push(`github_pat = "${PAT}"`);
  }
  if (/variable "aws_region"/.test(variables)) lines.push('aws_region = "eu-west-1"');
  return `${lines.join('\n')}\n`;
}

export function configurations(root) {
  const seed = {
    name: 'seed',
    prepare(work) {
      mkdirSync(join(work, 'seed'));
      writeFileSync(join(work, 'seed/main.tf'), seedUsage({ kms: false }));
      return join(work, 'seed');
    },
    // The operator's first commands after deploying, against what was just applied.
    afterApply: (context) => cliChecks({ root, ...context }),
  };
  // The seed usage with a customer-managed KMS key: the IAM checks then cover the key's permissions.
  const seedKms = {
    name: 'seed-kms',
    prepare(work) {
      mkdirSync(join(work, 'seed-kms'));
      writeFileSync(join(work, 'seed-kms/main.tf'), seedUsage({ kms: true }));
      return join(work, 'seed-kms');
    },
  };
  const examples = readdirSync(join(root, 'examples')).map((example) => ({
    name: example,
    prepare(work) {
      const dir = join(work, 'examples', example);
      cpSync(join(root, 'examples', example), dir, { recursive: true, filter: (src) => !src.includes('.terraform') && !src.endsWith('.tfstate') });
      writeFileSync(join(dir, 'terraform.tfvars'), exampleInputs(dir));
      return dir;
    },
  }));
  return [seed, seedKms, ...examples];
}
