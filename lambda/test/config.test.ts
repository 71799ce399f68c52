import { describe, expect, it } from '@jest/globals';
import { ConfigError, readConfig } from '../src/config.js';

const valid = {
  RUNNER_TABLE: 'runners',
  CLASS_SIZES_PARAM: '/fleet/class-sizes',
  GITHUB_REPO: 'octo-org/octo-repo',
  GITHUB_AUTH_PARAM: '/fleet/github-auth',
  WEBHOOK_SECRET_PARAM: '/fleet/webhook-secret',
  EVENT_BUS_NAME: 'fleet',
  ECS_CLUSTER: 'fleet',
  SUBNET_IDS: 'subnet-1, subnet-2',
  SECURITY_GROUP_IDS: 'sg-1',
  RUNNER_TASK_DEFINITION: 'fleet-runner',
  ECR_REPOSITORY_URL: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet-runner',
};

describe('readConfig (DESIGN §7)', () => {
  it('reads a complete environment with defaults for the optional names', () => {
    const config = readConfig(valid);
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
