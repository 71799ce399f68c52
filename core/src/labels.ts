import type { ClassSize, ClassSizes } from './class-sizes.js';
import { isAllowedImage } from './image-pattern.js';
import { parseImageReference } from './oci-reference.js';

/** GitHub accepts at most 100 labels on a runner; a job asking for more cannot be served. */
export const MAX_JOB_LABELS = 100;

const BUILT_IN_LABELS = new Set(['self-hosted', 'linux', 'x64', 'arm64']);

export type RunnerArchitecture = 'X86_64' | 'ARM64';

export function isRunnerArchitecture(value: string): value is RunnerArchitecture {
  return value === 'X86_64' || value === 'ARM64';
}

/** GitHub's architecture label for each ECS CPU architecture. */
const ARCHITECTURE_LABELS: Record<RunnerArchitecture, string> = { X86_64: 'x64', ARM64: 'arm64' };

export interface LabelPolicy {
  classes: ClassSizes;
  defaultClass: string;
  extraLabels: readonly string[];
  allowedBaseImages: readonly string[];
  /** The runner tasks' CPU architecture (DESIGN §3: `x64`/`arm64` must agree with it). Unset: X86_64. */
  architecture?: RunnerArchitecture;
}

export type LabelVerdict =
  /** Some label is not one of ours: another fleet may serve this job. */
  | { kind: 'not-ours'; reason: string }
  /** Ours, but a class or image label cannot be honoured: record `failed`, launch nothing. */
  | { kind: 'invalid'; reason: string; runnerClass?: string; size?: ClassSize }
  | { kind: 'ours'; runnerClass: string; size: ClassSize; baseImage?: string };

/**
 * Decides whether a job's `runs-on` labels are ours (DESIGN §3).
 * Label names match case-insensitively, as GitHub's do; an image reference
 * keeps its case, because OCI repository names must be lower case.
 */
export function classifyLabels(labels: readonly string[], policy: LabelPolicy): LabelVerdict {
  if (labels.length === 0) return { kind: 'not-ours', reason: 'the job has no labels' };
  if (labels.length > MAX_JOB_LABELS) {
    return { kind: 'not-ours', reason: `the job has ${labels.length} labels; a runner can carry at most ${MAX_JOB_LABELS}` };
  }
  const extra = new Set(policy.extraLabels.map((l) => l.toLowerCase()));
  const classLabels: string[] = [];
  const imageLabels: string[] = [];
  for (const label of labels) {
    const lower = label.toLowerCase();
    if (lower.startsWith('class:')) classLabels.push(label.slice('class:'.length));
    else if (lower.startsWith('image:')) imageLabels.push(label.slice('image:'.length));
    else if (!BUILT_IN_LABELS.has(lower) && !extra.has(lower)) {
      return { kind: 'not-ours', reason: `label "${label}" is not served by this fleet` };
    }
  }

  const ownArchitecture = ARCHITECTURE_LABELS[policy.architecture ?? 'X86_64'];
  const otherArchitecture = labels.find((l) => ['x64', 'arm64'].includes(l.toLowerCase()) && l.toLowerCase() !== ownArchitecture);
  if (otherArchitecture !== undefined) {
    return { kind: 'invalid', reason: `label "${otherArchitecture}" asks for another architecture; this fleet's runners are ${ownArchitecture} (runner_architecture ${policy.architecture ?? 'X86_64'})` };
  }

  if (classLabels.length > 1) return { kind: 'invalid', reason: `more than one class label (${classLabels.map((c) => `class:${c}`).join(', ')})` };
  const runnerClass = (classLabels[0] ?? policy.defaultClass).toLowerCase();
  const size = policy.classes.get(runnerClass);
  if (!size) {
    const known = [...policy.classes.keys()].sort().join(', ');
    return { kind: 'invalid', reason: `label "class:${printable(classLabels[0] ?? runnerClass)}" names an unknown class; known classes: ${known}` };
  }

  if (imageLabels.length > 1) return { kind: 'invalid', reason: 'more than one image label', runnerClass, size };
  if (imageLabels.length === 0) return { kind: 'ours', runnerClass, size };
  const ref = imageLabels[0]!;
  const parsed = parseImageReference(ref);
  if (typeof parsed === 'string') return { kind: 'invalid', reason: `label "image:${printable(ref)}": ${parsed}`, runnerClass, size };
  if (!isAllowedImage(parsed, policy.allowedBaseImages)) {
    return {
      kind: 'invalid',
      reason: `label "image:${ref}": base image ${parsed.canonical} is not allowed (ALLOWED_BASE_IMAGES: ${policy.allowedBaseImages.join(', ') || 'none'})`,
      runnerClass,
      size,
    };
  }
  return { kind: 'ours', runnerClass, size, baseImage: parsed.original };
}

/** Keeps hostile label text readable and short in a status reason. */
function printable(text: string): string {
  const clean = JSON.stringify(text).slice(1, -1);
  return clean.length > 80 ? `${clean.slice(0, 77)}...` : clean;
}
