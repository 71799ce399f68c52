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
      readConfig({ ...valid, RUNNER_TABLE: '', GITHUB_REPO: 'no-slash', MAX_RUNNERS: 'many', SUBNET_IDS: ' , ', RUNNER_NAME_PREFIX: 'a-very-long-prefix-indeed' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect([...(caught as ConfigError).problems].sort()).toEqual(
      [
      'RUNNER_TABLE is required',
      'GITHUB_REPO must be "owner/name" (got "no-slash")',
      'RUNNER_NAME_PREFIX must be 1–19 letters, digits, "-" or "_" so runner ids fit ECS startedBy (got "a-very-long-prefix-indeed")',
      'SUBNET_IDS must list at least one value (comma-separated)',
      'MAX_RUNNERS must be a whole number ≥ 1 (got "many")',
      ].sort(),
    );
  });

  it('refuses a malformed base-image pattern', () => {
    expect(() => readConfig({ ...valid, ALLOWED_BASE_IMAGES: 'ubuntu:*,bad pattern' })).toThrow(/"bad pattern" is not a well-formed image pattern/);
  });
});
