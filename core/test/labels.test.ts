import { describe, expect, it } from '@jest/globals';
import { classifyLabels, type LabelPolicy } from '../src/labels.js';

const policy: LabelPolicy = {
  classes: new Map([
    ['small', { cpu: 512, memory: 1024, spot: false }],
    ['medium', { cpu: 1024, memory: 2048, spot: true }],
  ]),
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

  describe('image labels are matched as the image they name, not as text (issue 14)', () => {
    it.each([
      ['image:ubuntu:5000/evil', 'docker.io/library/ubuntu:* does not cover registry ubuntu:5000'],
      ['image:ubuntu:5000/ubuntu:22.04', 'registry ubuntu:5000'],
      ['image:ubuntu:443/public.ecr.aws/docker/library/ubuntu', 'registry ubuntu:443'],
      ['image:public.ecr.aws.evil.example/docker/library/ubuntu:24.04', 'a longer host'],
      ['image:public.ecr.aws/docker/library/x/ubuntu:24.04', 'an extra path part'],
      ['image:evil/ubuntu:24.04', 'another Docker Hub namespace'],
      ['image:registry-1.docker.io/library/ubuntu:24.04', 'a registry the patterns do not name'],
    ])('refuses %s (%s)', (label) => {
      const verdict = classifyLabels(['self-hosted', label], policy);
      expect(verdict).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('is not allowed') });
    });

    it.each([
      ['image:docker.io/ubuntu:24.04', 'ubuntu:24.04'],
      ['image:library/ubuntu:24.04', 'ubuntu:24.04'],
      ['image:index.docker.io/library/ubuntu:22.04', 'ubuntu:*'],
      [`image:ubuntu:24.04@sha256:${'a'.repeat(64)}`, 'ubuntu:*'],
      ['image:public.ecr.aws/docker/library/debian:bookworm', 'public.ecr.aws/docker/library/*'],
    ])('accepts %s (allowed by %s)', (label) => {
      expect(classifyLabels(['self-hosted', label], policy)).toMatchObject({ kind: 'ours', baseImage: label.slice('image:'.length) });
    });

    it.each([
      [`image:ubuntu@sha256:${'a'.repeat(32)}`, 'exactly 64'],
      ['image:[::1]:5000/ubuntu', 'is not allowed'],
      ['image:ubuntu:', 'the tag ""'],
      ['image:ubuntu\n', 'whitespace'],
    ])('refuses %j, saying why (%s)', (label, why) => {
      expect(classifyLabels(['self-hosted', label], policy)).toMatchObject({ kind: 'invalid', reason: expect.stringContaining(why) });
    });
  });

  describe('class names are own keys only (issue 14)', () => {
    const prototypeNames = [...new Set([...Object.getOwnPropertyNames(Object.prototype), '__proto__'])];
    it.each(prototypeNames)('answers class:%s as an unknown class', (name) => {
      const verdict = classifyLabels(['self-hosted', `class:${name}`], policy);
      expect(verdict).toEqual({ kind: 'invalid', reason: `label "class:${name}" names an unknown class; known classes: medium, small` });
    });

    it('never takes a prototype name as the default class either', () => {
      expect(classifyLabels(['self-hosted'], { ...policy, defaultClass: 'constructor' })).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('unknown class') });
    });
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
