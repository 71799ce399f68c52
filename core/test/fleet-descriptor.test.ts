import { describe, expect, it } from '@jest/globals';
import { fleetDescriptorParam, parseFleetDescriptor } from '../src/fleet-descriptor.js';

const valid = {
  version: 1,
  namePrefix: 'runner-fleet',
  runnerNamePrefix: 'runner-fleet',
  region: 'eu-west-1',
  runnerTable: 'runner-fleet-runners',
  classSizesParam: '/runner-fleet/class-sizes',
  githubAuthParam: '/runner-fleet/github-auth',
  cluster: 'runner-fleet',
  lambdaFunction: 'runner-fleet-control-plane',
  lambdaLogGroup: '/aws/lambda/runner-fleet-control-plane',
  runnerLogGroup: '/ecs/runner-fleet/runner',
  eventBus: 'runner-fleet-events',
  deadLetterQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/runner-fleet-dead-letter',
  deadLetterQueueArn: 'arn:aws:sqs:eu-west-1:123456789012:runner-fleet-dead-letter',
  webhookUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com/webhook',
  github: { apiUrl: 'https://api.github.com', repo: 'octo-org/octo-repo', scope: 'repo' },
  runnerVersion: '2.335.1',
  maxRunners: 100,
};

describe('the fleet descriptor', () => {
  it('lives at /<name_prefix>/fleet', () => {
    expect(fleetDescriptorParam('ci-fleet')).toBe('/ci-fleet/fleet');
  });

  it('parses what Terraform writes', () => {
    expect(parseFleetDescriptor(JSON.stringify(valid))).toEqual(valid);
  });

  it('refuses text that is not JSON, or not an object', () => {
    expect(() => parseFleetDescriptor('{')).toThrow('not valid JSON');
    expect(() => parseFleetDescriptor('[]')).toThrow('must be a JSON object');
  });

  it('lists every problem at once', () => {
    const broken = { ...valid, version: 2, runnerTable: '', github: { apiUrl: 'ftp://x', repo: 'octo', scope: 'team' }, maxRunners: 0 };
    expect(() => parseFleetDescriptor(JSON.stringify(broken))).toThrow(
      'invalid fleet descriptor: version must be 1 (got 2; a newer ecsrunner may be needed); runnerTable must be a non-empty string; github.apiUrl must be an http(s) URL; github.repo must be "owner/name"; github.scope must be "repo" or "org"; maxRunners must be a positive integer',
    );
  });
});
