import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import type { AwsCaller } from '../doctor/aws-call.js';
import type { DoctorContext } from '../doctor/context.js';
import { checkGhostRunners, checkOrphanTasks, checkQueuedJobs, checkStuckRunners } from '../doctor/fleet-checks.js';
import { GitHubUnreachable, type GitHubApi } from '../doctor/github-api.js';
import { checkGitHub, checkRunnerVersion, connectWithFleetCredential } from '../doctor/github-checks.js';
import { checkDeadLetterQueue, checkLambdaConfiguration, checkLambdaErrors } from '../doctor/lambda-checks.js';
import { errorResult, fail, type CheckResult, type CheckStatus } from '../doctor/result.js';
import { checkClassSizes, checkConfiguration, checkIdentity, checkRunnerTable } from '../doctor/setup-checks.js';
import { EXIT } from '../errors.js';

export type { CheckResult, CheckStatus } from '../doctor/result.js';

/** `ecsrunner doctor --json`: every check, in the order run. */
export type DoctorResult = CheckResult[];

const MARK: Record<CheckStatus, string> = { PASS: 'PASS', WARN: 'WARN', FAIL: 'FAIL' };

/** A check that throws (GitHub unreachable, an AWS error it did not expect) is that check's FAIL, not the end of the run. */
async function guarded(check: string, run: () => Promise<CheckResult | CheckResult[]>): Promise<CheckResult[]> {
  try {
    return [await run()].flat();
  } catch (error) {
    if (error instanceof GitHubUnreachable) return [fail(check, `${error.message[0]!.toUpperCase()}${error.message.slice(1)}: check the network path from here to GitHub (proxy, firewall, DNS) and the GitHub API URL in the fleet descriptor.`)];
    return [errorResult(check, 'The check', error)];
  }
}

export default class Doctor extends BaseCommand<typeof Doctor> {
  static override readsDescriptorItself = true;
  static override summary = 'Checks a deployed fleet end to end: configuration, AWS identity, table, class sizes, Lambda, dead-letter queue, GitHub credential and webhook, runner version, and the runners themselves.';
  static override description = 'Each check prints PASS, WARN or FAIL with one sentence that says what to do. Exits 1 when any check FAILs. Point it at a fleet with --fleet <name_prefix> (or ECSRUNNER_FLEET).';
  static override examples = ['<%= config.bin %> <%= command.id %> --fleet runner-fleet', '<%= config.bin %> <%= command.id %> --json --queued-minutes 5'];
  static override flags = {
    'queued-minutes': Flags.integer({ description: 'Report jobs that have waited at least this many minutes.', default: 10, min: 1 }),
  };

  async run(): Promise<DoctorResult> {
    // A descriptor that cannot be read is the configuration check's finding, not the end of the run.
    const descriptorError = await this.fleet.resolve().then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    let caller: Promise<AwsCaller> | undefined;
    let github: Promise<GitHubApi> | undefined;
    const ctx: DoctorContext = {
      fleet: this.fleet,
      descriptor: this.fleet.descriptor,
      now: new Date(),
      queuedMinutes: this.flags['queued-minutes'],
      // Credentials and region as the SDK resolves them for every command (profile, env, endpoints).
      caller: () =>
        (caller ??= this.fleet.ssm().then(async (ssm) => ({ region: await ssm.config.region(), credentials: ssm.config.credentials }))),
      github: () => {
        github ??= connectWithFleetCredential(ctx);
        github.catch(() => undefined);
        return github;
      },
    };

    const results: CheckResult[] = [checkConfiguration(ctx, descriptorError)];
    const report = (result: CheckResult) => {
      results.push(result);
      this.print(result);
    };
    this.print(results[0]!);
    report(await checkIdentity(ctx));
    // The table and class sizes are independent of each other; later checks read the Lambda's limits.
    const [table, classes] = await Promise.all([checkRunnerTable(ctx), checkClassSizes(ctx)]);
    report(table);
    report(classes);
    report(await checkLambdaConfiguration(ctx));
    const [errors, dlq] = await Promise.all([checkLambdaErrors(ctx), checkDeadLetterQueue(ctx)]);
    report(errors);
    report(dlq);
    for (const result of await guarded('github-credential', () => checkGitHub(ctx))) report(result);
    report(await checkRunnerVersion(ctx));
    if (table.status !== 'FAIL') {
      const fleetChecks = await Promise.all([
        guarded('queued-jobs', () => checkQueuedJobs(ctx)),
        guarded('stuck-runners', () => checkStuckRunners(ctx)),
        guarded('ghost-runners', () => checkGhostRunners(ctx)),
        guarded('orphan-tasks', () => checkOrphanTasks(ctx)),
      ]);
      for (const result of fleetChecks.flat()) report(result);
    }

    const count = (s: CheckStatus) => results.filter((r) => r.status === s).length;
    this.log(`\n${count('PASS')} passed, ${count('WARN')} warnings, ${count('FAIL')} failed.`);
    // The result is the output with --json; the exit status still says whether anything failed.
    if (count('FAIL') > 0) process.exitCode = EXIT.unexpected;
    return results;
  }

  private print(result: CheckResult): void {
    this.log(`${MARK[result.status]}  ${result.check.padEnd(19)} ${result.message}`);
  }
}
