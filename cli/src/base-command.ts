import { Command, Errors, Flags, type Interfaces } from '@oclif/core';
import type { printTable } from '@oclif/table';
import { describeFailure, failureJson } from './errors.js';
import { Fleet } from './fleet.js';

export type CommandFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>;
export type CommandArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

/**
 * Shared flags (--table, --class-sizes-param, --region, --profile, each
 * falling back to its environment variable), --json, and one place that turns
 * failures into a sentence and an exit code.
 */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    fleet: Flags.string({ description: 'Name prefix of the deployment: its descriptor (SSM /<prefix>/fleet) supplies every setting not given.', env: 'ECSRUNNER_FLEET', helpGroup: 'FLEET' }),
    table: Flags.string({ description: 'DynamoDB table of runner records.', env: 'RUNNER_TABLE', helpGroup: 'FLEET' }),
    'class-sizes-param': Flags.string({ description: 'SSM parameter holding the class sizes.', env: 'CLASS_SIZES_PARAM', helpGroup: 'FLEET' }),
    region: Flags.string({ description: 'AWS region of the fleet.', env: 'AWS_REGION', helpGroup: 'FLEET' }),
    profile: Flags.string({ description: 'AWS profile to use.', env: 'AWS_PROFILE', helpGroup: 'FLEET' }),
  };

  /** Commands that read the fleet descriptor themselves, to report its problems as results (doctor). */
  static readsDescriptorItself = false;

  /** Commands that print a table start loading the renderer at once, overlapping the AWS round trips. */
  static printsTable = false;
  private tableRenderer?: Promise<typeof import('@oclif/table')>;

  protected flags!: CommandFlags<T>;
  protected args!: CommandArgs<T>;
  protected fleet!: Fleet;

  public override async init(): Promise<void> {
    await super.init();
    const { args, flags } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    });
    this.flags = flags as CommandFlags<T>;
    this.args = args as CommandArgs<T>;
    if ((this.ctor as unknown as typeof BaseCommand).printsTable && !this.jsonEnabled()) {
      this.tableRenderer = import('@oclif/table');
      this.tableRenderer.catch(() => undefined);
    }
    this.fleet = new Fleet({ fleet: this.flags.fleet, table: this.flags.table, classSizesParam: this.flags['class-sizes-param'], region: this.flags.region, profile: this.flags.profile });
    // The descriptor costs an SSM round trip: read it only when a setting is missing.
    if (!(this.ctor as unknown as typeof BaseCommand).readsDescriptorItself && (!this.flags.table || !this.flags['class-sizes-param'])) await this.fleet.resolve();
  }

  /** A table for a person; nothing with --json, where the returned result is the output. */
  protected async table<R extends Record<string, unknown>>(options: Parameters<typeof printTable<R>>[0]): Promise<void> {
    if (this.jsonEnabled()) return;
    // Loaded only when a person reads the output: the table renderer costs half a second to import.
    const { printTable } = await (this.tableRenderer ?? import('@oclif/table'));
    printTable({ borderStyle: 'headers-only-with-underline', ...options });
  }

  /**
   * Every failure ends here: with --json, one compact `{"error":{code,message,exitCode}}`
   * line on stdout and nothing else; without, one sentence on stderr (the stack only
   * with DEBUG). The exit status is the code's (EXIT).
   */
  protected override async catch(error: Error & { exitCode?: number }): Promise<unknown> {
    if (error instanceof Errors.ExitError) throw error;
    const failure = describeFailure(error, { table: this.flags?.table, parameter: this.flags?.['class-sizes-param'] });
    if (process.env.DEBUG) process.stderr.write(`${error.stack ?? String(error)}\n`);
    if (this.jsonEnabled()) {
      process.stdout.write(`${failureJson(failure)}\n`);
      this.exit(failure.exit);
    }
    this.error(failure.message, { exit: failure.exit });
  }
}
