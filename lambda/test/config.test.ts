import { describe, expect, it } from '@jest/globals';
import { ConfigError, readConfig } from '../src/config.js';
import { validEnv } from './support/fixtures.js';

const valid = validEnv;

describe('readConfig (DESIGN §7)', () => {
  it('reads a complete environment with defaults for the optional names', () => {
    const config = readConfig({ ...valid, SUBNET_IDS: 'subnet-1, subnet-2' });
    expect(config).toMatchObject({
      githubOwner: 'octo-org',
      githubRepoName: 'octo-repo',
      subnetIds: ['subnet-1', 'subnet-2'],
      githubApiUrl: 'https://api.github.com',
      assignPublicIp: false,
      runnerContainerName: 'runner',
      imageBuildProject: '',
      defaultClass: 'small',
      maxRunners: 100,
      runnerNamePrefix: 'ecs-runner',
      runnerGroupId: 1,
    });
  });

  it('reports every problem in one error', () => {
    let caught: unknown;
    try {
      readConfig({ ...valid, RUNNER_TABLE: '', GITHUB_REPO: 'no-slash', MAX_RUNNERS: 'many', SUBNET_IDS: ' , ', RUNNER_NAME_PREFIX: 'p'.repeat(112), RUNNER_ARCHITECTURE: 'sparc' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect([...(caught as ConfigError).problems].sort()).toEqual(
      [
      'RUNNER_TABLE is required',
      'GITHUB_REPO must be "owner/name" (got "no-slash")',
      `RUNNER_NAME_PREFIX must be 1–111 letters, digits, "-" or "_" so runner ids fit ECS startedBy (got "${'p'.repeat(112)}")`,
      'RUNNER_ARCHITECTURE must be X86_64 or ARM64 (got "SPARC")',
      'SUBNET_IDS must list at least one value (comma-separated)',
      'MAX_RUNNERS must be a whole number ≥ 1 (got "many")',
      ].sort(),
    );
  });

  it('derives the longest prefix from ECS startedBy (128 characters): "-" and a 16-digit job id still fit', () => {
    const prefix = 'p'.repeat(111);
    const config = readConfig({ ...valid, RUNNER_NAME_PREFIX: prefix });
    expect(`${config.runnerNamePrefix}-${'9'.repeat(16)}`).toHaveLength(128);
    expect(() => readConfig({ ...valid, RUNNER_NAME_PREFIX: `${prefix}p` })).toThrow(ConfigError);
  });

  it('keeps JIT configs under /<RUNNER_NAME_PREFIX>/jit unless JIT_PARAMETER_PATH says otherwise, with the aws/ssm key unless JIT_KMS_KEY_ID is set', () => {
    expect(readConfig({ ...valid, RUNNER_NAME_PREFIX: 'blue' })).toMatchObject({ jitParameterPath: '/blue/jit', jitKmsKeyId: '' });
    expect(readConfig({ ...valid, JIT_PARAMETER_PATH: '/fleet/runners/jit', JIT_KMS_KEY_ID: 'alias/fleet' })).toMatchObject({ jitParameterPath: '/fleet/runners/jit', jitKmsKeyId: 'alias/fleet' });
  });

  it.each(['fleet/jit', '/fleet/jit/', '/aws/jit', '/ssm/jit', '/fleet jit', '/fleet//jit'])('refuses the JIT parameter path %s, naming the fix', (path) => {
    expect(() => readConfig({ ...valid, JIT_PARAMETER_PATH: path })).toThrow(/JIT_PARAMETER_PATH must be an SSM path like \/<name_prefix>\/jit/);
  });

  it('reads RUNNER_ARCHITECTURE (X86_64 unless set)', () => {
    expect(readConfig(valid).runnerArchitecture).toBe('X86_64');
    expect(readConfig({ ...valid, RUNNER_ARCHITECTURE: 'ARM64' }).runnerArchitecture).toBe('ARM64');
  });

  it('reads WEBHOOK_ALLOWED_CIDRS (off unless set) and names every block that is not a CIDR', () => {
    expect(readConfig(valid).webhookAllowedCidrs).toEqual([]);
    expect(readConfig({ ...valid, WEBHOOK_ALLOWED_CIDRS: ' 192.30.252.0/22, 2606:50c0::/32 ' }).webhookAllowedCidrs).toEqual(['192.30.252.0/22', '2606:50c0::/32']);
    let caught: unknown;
    try {
      readConfig({ ...valid, WEBHOOK_ALLOWED_CIDRS: '192.30.252.0,10.0.0.0/33' });
    } catch (error) {
      caught = error;
    }
    expect((caught as ConfigError).problems).toEqual([
      'WEBHOOK_ALLOWED_CIDRS: "192.30.252.0" is not a CIDR block (address/prefix, e.g. 192.30.252.0/22 or 2606:50c0::/32)',
      'WEBHOOK_ALLOWED_CIDRS: "10.0.0.0/33": the prefix length must be 0–32',
    ]);
  });

  it('refuses a malformed base-image pattern', () => {
    expect(() => readConfig({ ...valid, ALLOWED_BASE_IMAGES: 'ubuntu:*,bad pattern' })).toThrow(/"bad pattern" is not a valid image pattern: a pattern may use only letters/);
  });

  it('refuses base-image patterns that no reference could match, each with its reason and the fix, in one error', () => {
    const read = () => readConfig({ ...valid, ALLOWED_BASE_IMAGES: 'ubuntu:*,Ubuntu:*,ubuntu//*,../*,ubuntu@md5:1' });
    expect(read).toThrow(/"Ubuntu:\*" is not a valid image pattern: the repository path "Ubuntu" must be lower case/);
    expect(read).toThrow(/"ubuntu\/\/\*" is not a valid image pattern: .*no empty part/);
    expect(read).toThrow(/"\.\.\/\*" is not a valid image pattern: the registry host "\.\."/);
    expect(read).toThrow(/"ubuntu@md5:1" is not a valid image pattern: the digest/);
    expect(read).toThrow(/write \[registry\/\]repository\[:tag\]\[@digest\]/);
  });

  it('accepts patterns naming registries with ports, IPv6 hosts, ECR hosts and digests', () => {
    const patterns = `localhost:5000/team/*,[::1]:5000/ubuntu:*,*.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/library/ubuntu:*,ubuntu@sha256:${'a'.repeat(64)},public.ecr.aws/docker/library/*`;
    expect(readConfig({ ...valid, ALLOWED_BASE_IMAGES: patterns }).allowedBaseImages).toEqual(patterns.split(','));
  });
});
