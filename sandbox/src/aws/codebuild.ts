import { randomUUID } from 'node:crypto';
import type { EcrSimulator } from './ecr.js';
import type { EventBridgeSimulator } from './eventbridge.js';
import { ACCOUNT_ID, AwsError, requireString, type JsonService } from './protocol.js';

interface SimBuild {
  id: string;
  projectName: string;
  buildStatus: 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED';
  startTime: number;
  endTime?: number;
  environmentVariables: Array<{ name: string; value: string; type: string }>;
  failure?: string;
}

export interface CodeBuildFaults {
  /** Builds never end (and never report): a hung build. */
  hang: boolean;
}

/**
 * AWS CodeBuild for the image project: StartBuild runs a simulated
 * `docker build` of runner/ FROM $BASE_IMAGE for SANDBOX_BUILD_MS, pushes
 * $IMAGE_TAG to the simulated ECR when it succeeds, and puts "CodeBuild Build
 * State Change" events on the default bus. A musl (Alpine) base fails, as
 * runner/install-runner.sh refuses it (the control plane refuses it first),
 * and so does a tag starting with "broken".
 */
export class CodeBuildSimulator {
  readonly projects = new Set<string>();
  readonly builds = new Map<string, SimBuild>();
  readonly faults: CodeBuildFaults = { hang: false };
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly region: string,
    private readonly bus: EventBridgeSimulator,
    private readonly ecr: EcrSimulator,
    private readonly repositoryName: string,
    readonly buildMs: number,
  ) {}

  get pending(): number {
    return this.timers.size;
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  service(): JsonService {
    return {
      targetPrefix: 'CodeBuild_20161006',
      operations: {
        StartBuild: (input) => {
          const projectName = requireString(input, 'projectName', 'InvalidInputException');
          if (!this.projects.has(projectName)) throw new AwsError('ResourceNotFoundException', `Project cannot be found: arn:aws:codebuild:${this.region}:${ACCOUNT_ID}:project/${projectName}`);
          const overrides = (input.environmentVariablesOverride as SimBuild['environmentVariables']) ?? [];
          const build: SimBuild = { id: `${projectName}:${randomUUID()}`, projectName, buildStatus: 'IN_PROGRESS', startTime: Date.now() / 1000, environmentVariables: overrides };
          this.builds.set(build.id, build);
          this.emit(build);
          if (this.faults.hang) return { build: this.describe(build) };
          const timer = setTimeout(() => {
            this.timers.delete(timer);
            this.finish(build);
          }, this.buildMs);
          this.timers.add(timer);
          return { build: this.describe(build) };
        },
        BatchGetBuilds: (input) => {
          const ids = (input.ids as string[]) ?? [];
          return { builds: ids.filter((id) => this.builds.has(id)).map((id) => this.describe(this.builds.get(id)!)), buildsNotFound: ids.filter((id) => !this.builds.has(id)) };
        },
      },
    };
  }

  private finish(build: SimBuild): void {
    const env = Object.fromEntries(build.environmentVariables.map((v) => [v.name, v.value]));
    if (/alpine/i.test(env.BASE_IMAGE ?? '')) {
      build.failure = 'install-runner: this base image uses musl (Alpine); the GitHub Actions runner needs glibc.';
    } else if (/:broken/.test(env.BASE_IMAGE ?? '')) {
      // A supported family whose build still fails (e.g. a tag whose apt sources are gone).
      build.failure = 'apt-get: E: Unable to locate package libicu (the base image\'s apt sources are broken).';
    }
    build.buildStatus = build.failure ? 'FAILED' : 'SUCCEEDED';
    build.endTime = Date.now() / 1000;
    if (!build.failure && env.IMAGE_TAG) this.ecr.push(this.repositoryName, env.IMAGE_TAG);
    this.emit(build);
  }

  private emit(build: SimBuild): void {
    this.bus.emit(
      'aws.codebuild',
      'CodeBuild Build State Change',
      {
        'build-status': build.buildStatus,
        'project-name': build.projectName,
        'build-id': `arn:aws:codebuild:${this.region}:${ACCOUNT_ID}:build/${build.id}`,
        'current-phase': build.buildStatus === 'IN_PROGRESS' ? 'SUBMITTED' : 'COMPLETED',
        version: '1',
        'additional-information': {
          'build-complete': build.buildStatus !== 'IN_PROGRESS',
          environment: { 'environment-variables': build.environmentVariables },
          phases: build.failure ? [{ 'phase-type': 'BUILD', 'phase-status': 'FAILED', 'phase-context': [build.failure] }] : [],
        },
      },
      [`arn:aws:codebuild:${this.region}:${ACCOUNT_ID}:build/${build.id}`],
    );
  }

  private describe(build: SimBuild) {
    return { id: build.id, arn: `arn:aws:codebuild:${this.region}:${ACCOUNT_ID}:build/${build.id}`, buildStatus: build.buildStatus, projectName: build.projectName, startTime: build.startTime, endTime: build.endTime, environment: { environmentVariables: build.environmentVariables } };
  }
}
