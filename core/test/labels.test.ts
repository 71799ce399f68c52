import { describe, expect, it } from '@jest/globals';
import { classifyLabels, type LabelPolicy } from '../src/labels.js';

const policy: LabelPolicy = {
  classes: { small: { cpu: 512, memory: 1024, spot: false }, medium: { cpu: 1024, memory: 2048, spot: true } },
  defaultClass: 'small',
  extraLabels: ['gpu-free'],
  allowedBaseImages: ['ubuntu:*', 'public.ecr.aws/docker/library/*', 'docker.io/library/debian:*'],
};

describe('classifyLabels (DESIGN §3)', () => {
  it('takes the class from a class: label, case-insensitively', () => {
    expect(classifyLabels(['Self-Hosted', 'LINUX', 'Class:Medium'], policy)).toEqual({
      kind: 'ours',
      runnerClass: 'medium',
      size: { cpu: 1024, memory: 2048, spot: true },
    });
  });

  it('uses the default class when the job names none', () => {
    expect(classifyLabels(['self-hosted'], policy)).toMatchObject({ kind: 'ours', runnerClass: 'small' });
  });

  it('accepts the extra labels the operator configured', () => {
    expect(classifyLabels(['self-hosted', 'GPU-free'], policy)).toMatchObject({ kind: 'ours' });
  });

  it('leaves a job with any foreign label to another fleet', () => {
    expect(classifyLabels(['self-hosted', 'windows'], policy)).toEqual({
      kind: 'not-ours',
      reason: 'label "windows" is not served by this fleet',
    });
    expect(classifyLabels(['ubuntu-latest'], policy).kind).toBe('not-ours');
  });

  it('leaves a job with more labels than a runner can carry', () => {
    const labels = ['self-hosted', ...Array.from({ length: 100 }, () => 'linux')];
    expect(classifyLabels(labels, policy)).toMatchObject({ kind: 'not-ours', reason: expect.stringContaining('101 labels') });
  });

  it('marks an unknown class as ours but invalid, naming the label and the known classes', () => {
    expect(classifyLabels(['self-hosted', 'class:xlarge'], policy)).toEqual({
      kind: 'invalid',
      reason: 'label "class:xlarge" names an unknown class; known classes: medium, small',
    });
  });

  it('refuses two class labels', () => {
    expect(classifyLabels(['class:small', 'class:medium'], policy).kind).toBe('invalid');
  });

  it('accepts an allowed base image, matched as written or fully qualified', () => {
    expect(classifyLabels(['self-hosted', 'image:ubuntu:24.04'], policy)).toMatchObject({ kind: 'ours', baseImage: 'ubuntu:24.04' });
    expect(classifyLabels(['self-hosted', 'image:debian:12'], policy)).toMatchObject({ kind: 'ours', baseImage: 'debian:12' });
  });

  it.each([
    ['image:', 'empty'],
    ['image:../../etc', 'not a valid OCI image reference'],
    ['image:ubuntu;rm -rf /', 'not a valid OCI image reference'],
    ['image:$(curl evil)', 'not a valid OCI image reference'],
    ['image:UPPER', 'not a valid OCI image reference'],
    [`image:${'a'.repeat(300)}`, '300 characters'],
    ['image:quay.io/evil/ubuntu:22.04', 'not allowed'],
  ])('refuses %s as ours but invalid', (label, why) => {
    const verdict = classifyLabels(['self-hosted', label], policy);
    expect(verdict.kind).toBe('invalid');
    expect(verdict).toMatchObject({ reason: expect.stringContaining(why) });
  });

  describe('architecture labels agree with runner_architecture', () => {
    it('serves x64 on an X86_64 fleet (the default) and arm64 on an ARM64 fleet', () => {
      expect(classifyLabels(['self-hosted', 'X64'], policy)).toMatchObject({ kind: 'ours' });
      expect(classifyLabels(['self-hosted', 'x64'], { ...policy, architecture: 'X86_64' })).toMatchObject({ kind: 'ours' });
      expect(classifyLabels(['self-hosted', 'arm64'], { ...policy, architecture: 'ARM64' })).toMatchObject({ kind: 'ours' });
    });

    it.each([
      ['arm64', 'X86_64' as const],
      ['ARM64', undefined],
      ['x64', 'ARM64' as const],
    ])('records a job asking for %s on a %s fleet as ours but invalid, naming the label', (label, architecture) => {
      const verdict = classifyLabels(['self-hosted', label], { ...policy, architecture });
      expect(verdict).toMatchObject({ kind: 'invalid', reason: expect.stringContaining(`label "${label}" asks for another architecture`) });
    });

    it('still ignores a job with a label of another fleet, whatever its architecture', () => {
      expect(classifyLabels(['self-hosted', 'arm64', 'windows'], policy)).toMatchObject({ kind: 'not-ours' });
    });
  });
});
