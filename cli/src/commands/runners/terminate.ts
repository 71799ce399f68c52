import { Args, Flags } from '@oclif/core';
import { isTerminal, type RunnerStatus } from '@runner-fleet/core';
import { userInfo } from 'node:os';
import { createInterface } from 'node:readline/promises';
import { BaseCommand } from '../../base-command.js';
import { CliError, EXIT } from '../../errors.js';
import { clusterOf } from '../../queries/task-facts.js';
import { findRunner } from './details.js';

/** `ecsrunner runners terminate --json`: what was stopped and recorded. */
export interface RunnerTerminateResult {
  runnerId: string;
  previousStatus: RunnerStatus;
  status: 'terminated';
  statusReason: string;
  /** A task was running and StopTask was sent. */
  taskStopped: boolean;
}

export default class RunnersTerminate extends BaseCommand<typeof RunnersTerminate> {
  static override summary = 'Stop a runner: stop its task and record it as terminated.';
  static override description = `Asks for confirmation on a terminal; without one, --yes is required. The record becomes "terminated" through a conditional update, then the task is stopped with a reason naming who stopped it. A runner that has already finished is left alone (exit code ${EXIT.alreadyFinished}).`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> runner-fleet-14541957942',
    { description: 'From a script, with the reason kept on the record', command: '<%= config.bin %> <%= command.id %> runner-fleet-14541957942 --yes --reason "stuck on a hung test"' },
  ];
  static override args = { runnerId: Args.string({ description: 'Runner id (<prefix>-<jobId>).', required: true }) };
  static override flags = {
    yes: Flags.boolean({ char: 'y', description: 'Do not ask for confirmation.' }),
    reason: Flags.string({ description: 'Why; stored as the record\'s statusReason.' }),
  };

  async run(): Promise<RunnerTerminateResult> {
    const store = await this.fleet.store();
    const runner = await findRunner(store, this.args.runnerId, this.fleet.tableName);
    if (isTerminal(runner.status)) {
      throw new CliError(`Runner ${runner.runnerId} has already finished (${runner.status}${runner.finishedAt ? ` at ${runner.finishedAt}` : ''}); nothing to terminate.`, EXIT.alreadyFinished);
    }
    if (!this.flags.yes) await this.confirm(`Terminate runner ${runner.runnerId} (${runner.status}, job ${runner.assignedJobId ?? runner.jobId}, ${runner.repo})? [y/N] `);

    const who = safeUser();
    const statusReason = this.flags.reason ?? `terminated by ${who} with ecsrunner`;
    // Record the operator's decision first: the STOPPED event that follows then finds a
    // terminal record and changes nothing (stopping first would let it record "failed").
    const result = await store.advance(runner.runnerId, 'terminated', { statusReason });
    if (!result.changed) {
      throw new CliError(`Runner ${runner.runnerId} finished while it was being terminated (${result.record?.status ?? 'gone'}); its record was left as it is.`, EXIT.alreadyFinished);
    }
    let taskStopped = false;
    if (runner.taskArn) {
      try {
        const [ecs, { StopTaskCommand }] = await Promise.all([this.fleet.ecs(), import('@aws-sdk/client-ecs')]);
        await ecs.send(new StopTaskCommand({ cluster: clusterOf(runner.taskArn), task: runner.taskArn, reason: `Terminated by ${who} with ecsrunner: ${statusReason}`.slice(0, 255) }));
        taskStopped = true;
      } catch (error) {
        // A task ECS no longer knows is already gone; anything else is a real failure.
        if ((error as { name?: string }).name !== 'InvalidParameterException') {
          throw new CliError(`Runner ${runner.runnerId} is recorded as terminated, but stopping its task failed: ${(error as Error).message}. Stop it with: aws ecs stop-task --cluster ${clusterOf(runner.taskArn)} --task ${runner.taskArn}`, EXIT.unexpected);
        }
      }
    }
    this.log(`Terminated ${runner.runnerId} (was ${runner.status})${taskStopped ? '; its task is stopping' : ''}.`);
    return { runnerId: runner.runnerId, previousStatus: runner.status, status: 'terminated', statusReason, taskStopped };
  }

  private async confirm(question: string): Promise<void> {
    if (!process.stdin.isTTY) {
      throw new CliError('Refusing to terminate without confirmation: there is no terminal to ask on. Pass --yes.', EXIT.confirmationNeeded);
    }
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const answer = await rl.question(question);
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) throw new CliError('Aborted; nothing was changed.', EXIT.aborted);
  }
}

function safeUser(): string {
  try {
    return userInfo().username || 'an operator';
  } catch {
    return 'an operator';
  }
}
