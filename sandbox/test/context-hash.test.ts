import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildIdentity } from '@runner-fleet/core';
import { buildContextHash, pinnedRunnerVersion } from '../src/context-hash.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

function fixtureContext(): string {
  const dir = mkdtempSync(join(tmpdir(), 'image-context-'));
  mkdirSync(join(dir, 'test'));
  mkdirSync(join(dir, 'scripts'));
  writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\n');
  writeFileSync(join(dir, 'scripts', 'entrypoint.sh'), '#!/bin/sh\n');
  writeFileSync(join(dir, 'test', 'entrypoint.test.sh'), 'true\n');
  writeFileSync(join(dir, 'README.md'), '# runner\n');
  return dir;
}

/** Asks Terraform for the module's context_hash and image_identity of `contextDir` (provider from the local mirror). */
function terraformValues(contextDir: string): { contextHash: string; identity: string } {
  const work = mkdtempSync(join(tmpdir(), 'image-context-tf-'));
  writeFileSync(
    join(work, 'main.tf'),
    `module "p" {
  source             = ${JSON.stringify(join(root, 'modules/image-build-project'))}
  project_name       = "p"
  name_prefix        = "p"
  ecr_repository_url = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/r"
  ecr_repository_arn = "arn:aws:ecr:eu-west-1:123456789012:repository/r"
  build_context_dir  = ${JSON.stringify(contextDir)}
  runner_version     = "2.335.1"
}
`,
  );
  const mirror = process.env.TF_PROVIDER_MIRROR ?? '/opt/tf-plugins';
  writeFileSync(join(work, 'rc'), `provider_installation {\n  filesystem_mirror {\n    path    = ${JSON.stringify(mirror)}\n    include = ["registry.terraform.io/hashicorp/*"]\n  }\n}\n`);
  const env = { ...process.env, TF_CLI_CONFIG_FILE: join(work, 'rc'), TF_IN_AUTOMATION: '1' };
  const init = spawnSync('terraform', ['init', '-backend=false', '-input=false', '-no-color'], { cwd: work, env, encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`terraform init failed: ${init.stdout}${init.stderr}`);
  const ask = (expression: string) => {
    const out = spawnSync('terraform', ['console', '-no-color'], { cwd: work, env, input: `${expression}\n`, encoding: 'utf8' });
    const value = /"([0-9a-f]{64})"/.exec(out.stdout);
    if (out.status !== 0 || !value) throw new Error(`terraform console ${expression}: ${out.stdout}${out.stderr}`);
    return value[1]!;
  };
  return { contextHash: ask('module.p.context_hash'), identity: ask('module.p.image_identity') };
}

describe('runner/ build context hash', () => {
  it('is the same in the sandbox and in Terraform (modules/image-build-project)', () => {
    const dir = fixtureContext();
    const tf = terraformValues(dir);
    expect(buildContextHash(dir)).toBe(tf.contextHash);
    expect(buildIdentity(buildContextHash(dir), 'X86_64', '2.335.1')).toBe(tf.identity);
  }, 120_000);

  it('ignores tests and docs, and changes with any other file', () => {
    const dir = fixtureContext();
    const before = buildContextHash(dir);
    writeFileSync(join(dir, 'test', 'entrypoint.test.sh'), 'false\n');
    writeFileSync(join(dir, 'test', 'new.test.sh'), 'true\n');
    writeFileSync(join(dir, 'README.md'), '# changed\n');
    writeFileSync(join(dir, 'scripts', 'NOTES.md'), 'notes\n');
    expect(buildContextHash(dir)).toBe(before);
    writeFileSync(join(dir, 'scripts', 'entrypoint.sh'), '#!/bin/sh\nexec true\n');
    expect(buildContextHash(dir)).not.toBe(before);
  });

  it('defaults runner_version (root and image-build-project) to the version runner/Dockerfile pins', () => {
    const pinned = pinnedRunnerVersion(join(root, 'runner'));
    for (const file of ['variables.tf', 'modules/image-build-project/variables.tf']) {
      const block = /variable "runner_version" \{[\s\S]*?default\s*=\s*"([^"]+)"/.exec(readFileSync(join(root, file), 'utf8'));
      expect({ file, default: block?.[1] }).toEqual({ file, default: pinned });
    }
  });
});
