import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sign } from '@octokit/webhooks-methods';
import { parseClassSizes } from '@runner-fleet/core';
import fc from 'fast-check';
import { readConfig } from '../src/config.js';
import { streamDispatch } from '../src/routes/stream.js';
import { ingress } from '../src/routes/ingress.js';
import { FakeImages, makeDeps, startTable, streamInsertsOf, validEnv } from './support/fixtures.js';

/**
 * Issue 14 (findings 2 and 3), fuzz-style: whatever class and image labels a
 * job carries, the real ingress and dispatch code never hands RunTask a task
 * without a class's cpu/memory, nor one built FROM a registry outside the
 * allow-list. Only GitHub, ECS and ECR are fakes; the table is real (dynalite).
 */

/** The allow-list under test, and the registries it names (the oracle knows nothing else of the matcher). */
const ALLOWED_BASE_IMAGES = ['ubuntu:*', 'debian:*', 'public.ecr.aws/docker/library/*', 'localhost:5000/team/*'];
const ALLOWED_REGISTRIES = new Set(['docker.io', 'public.ecr.aws', 'localhost:5000']);
const CLASSES: Record<string, { cpu: number; memory: number }> = { small: { cpu: 512, memory: 1024 }, large: { cpu: 2048, memory: 4096 } };
const CLASS_SIZES_JSON = JSON.stringify(CLASSES);

/**
 * The registry `docker pull` would contact for `ref`, by Docker's own rule,
 * told independently of the code under test: the part before the first "/"
 * is a host when it has a "." or ":", is "localhost", or has upper case.
 */
function registryDockerWouldUse(ref: string): string {
  const name = ref.split('@')[0]!;
  const slash = name.indexOf('/');
  if (slash < 0) return 'docker.io';
  const first = name.slice(0, slash);
  if (first !== 'localhost' && !/[.:]/.test(first) && first === first.toLowerCase()) return 'docker.io';
  const host = first.toLowerCase(); // host names are case-insensitive (DNS)
  return host === 'index.docker.io' ? 'docker.io' : host;
}

const prototypeNames = [...new Set([...Object.getOwnPropertyNames(Object.prototype), '__proto__'])];
const className = fc.oneof(
  fc.constantFrom(...prototypeNames),
  fc.constantFrom('small', 'Small', 'LARGE', 'large', 'medium', ''),
  fc.string({ maxLength: 12 }),
);

const hostileRegistry = fc.constantFrom(
  '',
  'ubuntu:5000/',
  'debian:443/',
  'docker.io/',
  'index.docker.io/',
  'registry-1.docker.io/',
  'public.ecr.aws/',
  'public.ecr.aws.evil.example/',
  'evil.example/public.ecr.aws/',
  'localhost/',
  'localhost:5000/',
  'localhost:5001/',
  '[::1]:5000/',
  'quay.io/',
  'Ubuntu/',
  'library/',
);
const pathPart = fc.constantFrom('ubuntu', 'debian', 'docker/library/ubuntu', 'team/ubuntu', 'library/ubuntu', 'evil/ubuntu', 'ubuntu/../ubuntu', 'UBUNTU', 'ubuntu-', 'team//ubuntu');
const suffix = fc.constantFrom('', ':24.04', ':latest', ':bookworm', '@sha256:' + 'a'.repeat(64), ':22.04@sha256:' + 'b'.repeat(64), '@sha256:' + 'c'.repeat(32), ':*', ' ', ':\u0000');
const structuredRef = fc.tuple(hostileRegistry, pathPart, suffix).map(([r, p, s]) => `${r}${p}${s}`);
/** Structured references with a random edit somewhere (an insertion of any character). */
const mutatedRef = fc.tuple(structuredRef, fc.nat(), fc.string({ minLength: 1, maxLength: 3 })).map(([ref, at, text]) => {
  const i = at % (ref.length + 1);
  return ref.slice(0, i) + text + ref.slice(i);
});
const imageRef = fc.oneof(structuredRef, mutatedRef, fc.string({ maxLength: 40 }));

const labelSet = fc.record({
  classLabel: fc.option(className, { nil: undefined }),
  imageLabel: fc.option(imageRef, { nil: undefined }),
});

describe('labels from outside never reach RunTask unsized or from an unallowed registry (property)', () => {
  let table: Awaited<ReturnType<typeof startTable>>;
  let deps: ReturnType<typeof makeDeps>;
  let nextJobId = 500_000;

  beforeAll(async () => {
    table = await startTable();
    const config = readConfig({ ...validEnv, IMAGE_BUILD_PROJECT: 'runner-images', ALLOWED_BASE_IMAGES: ALLOWED_BASE_IMAGES.join(','), MAX_RUNNERS: '100000' });
    // Every image is already in ECR: an allowed reference goes straight to RunTask, so a refused one must be stopped before.
    const images = new FakeImages();
    images.exists = async () => true;
    const classes = parseClassSizes(CLASS_SIZES_JSON);
    deps = makeDeps(table.store, table.clock, {
      config,
      images,
      labelPolicy: async () => ({ classes, defaultClass: 'small', extraLabels: [], allowedBaseImages: config.allowedBaseImages }),
    });
  });
  afterAll(() => table.stop());

  async function deliver(labels: string[]): Promise<{ status: number; answer: Record<string, unknown>; runnerId?: string }> {
    const id = nextJobId++;
    const body = JSON.stringify({
      action: 'queued',
      repository: { full_name: 'octo-org/octo-repo' },
      workflow_job: { id, run_id: id, run_attempt: 1, name: 'fuzz', workflow_name: 'CI', labels, runner_name: null, conclusion: null },
    });
    const response = await ingress(
      { headers: { 'x-github-event': 'workflow_job', 'x-github-delivery': `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`, 'x-hub-signature-256': await sign('secret', body), 'content-type': 'application/json' }, body: Buffer.from(body) },
      deps,
    );
    // The record's stream INSERT is the hand-off to dispatch.
    await streamDispatch(await streamInsertsOf(table.doc, [`ecs-runner-${id}`]), deps);
    return { status: response.statusCode, answer: response.body, runnerId: `ecs-runner-${id}` };
  }

  it('launches only sized runners of allowed registries, and answers every other job with a reason', async () => {
    await fc.assert(
      fc.asyncProperty(labelSet, async ({ classLabel, imageLabel }) => {
        const labels = ['self-hosted', ...(classLabel !== undefined ? [`class:${classLabel}`] : []), ...(imageLabel !== undefined ? [`image:${imageLabel}`] : [])];
        const { status, answer, runnerId } = await deliver(labels);
        expect(status).toBe(202);
        const task = deps.tasks.started.get(runnerId!);
        if (!task) {
          // Not launched: ignored (not ours) or recorded failed, always with a reason.
          expect(['ignored', 'failed']).toContain(answer.status);
          expect(String(answer.reason)).not.toBe('');
          return;
        }
        const wanted = (classLabel ?? 'small').toLowerCase();
        expect(Object.hasOwn(CLASSES, wanted)).toBe(true);
        expect(task.spec.cpu).toBe(CLASSES[wanted]!.cpu);
        expect(task.spec.memory).toBe(CLASSES[wanted]!.memory);
        if (imageLabel !== undefined) expect(ALLOWED_REGISTRIES.has(registryDockerWouldUse(imageLabel))).toBe(true);
      }),
      { numRuns: 300 },
    );
    // Not vacuous: some generated jobs were launched, and some refused. (How many depends on the
    // random seed: about 10-25 of the 300; a fixed floor of 10 failed once in CI.)
    expect(deps.tasks.started.size).toBeGreaterThan(0);
    expect(deps.tasks.started.size).toBeLessThan(nextJobId - 500_000);
  }, 120_000);

  it.each(prototypeNames)('answers class:%s as an unknown class and starts no task', async (name) => {
    const { answer, runnerId } = await deliver(['self-hosted', `class:${name}`]);
    expect(answer).toMatchObject({ status: 'failed', reason: expect.stringContaining(`names an unknown class; known classes: large, small`) });
    expect(deps.tasks.started.has(runnerId!)).toBe(false);
    expect(await table.store.get(runnerId!)).toMatchObject({ status: 'failed' });
  });
});
