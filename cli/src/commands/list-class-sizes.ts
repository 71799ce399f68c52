import { parseClassSizes } from '@runner-fleet/core';
import { BaseCommand } from '../base-command.js';
import { CliError, EXIT } from '../errors.js';

/** `ecsrunner list-class-sizes --json`: the classes a job can pick with class:<name>. */
export interface ClassSizesResult {
  parameter: string;
  classes: Array<{ name: string; cpu: number; memory: number; vcpu: number; memoryGiB: number; spot: boolean }>;
}

export default class ListClassSizes extends BaseCommand<typeof ListClassSizes> {
  static override printsTable = true;
  static override summary = 'Show the runner classes (class:<name> labels) and their Fargate sizes.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];

  async run(): Promise<ClassSizesResult> {
    const parameter = this.fleet.classSizesParam;
    const [ssm, { GetParameterCommand }] = await Promise.all([this.fleet.ssm(), import('@aws-sdk/client-ssm')]);
    const out = await ssm.send(new GetParameterCommand({ Name: parameter }));
    let sizes;
    try {
      sizes = parseClassSizes(out.Parameter?.Value ?? '');
    } catch (error) {
      throw new CliError(`The class-sizes parameter ${parameter} is malformed: ${(error as Error).message}. Fix runner_class_sizes in Terraform and apply.`, EXIT.badClassSizes);
    }
    const classes = [...sizes]
      .map(([name, s]) => ({ name, cpu: s.cpu, memory: s.memory, vcpu: s.cpu / 1024, memoryGiB: s.memory / 1024, spot: s.spot }))
      .sort((a, b) => a.cpu - b.cpu || a.memory - b.memory || a.name.localeCompare(b.name));
    await this.table({
      data: classes.map((c) => ({ class: c.name, vCPU: String(c.vcpu), 'memory (GiB)': String(c.memoryGiB), spot: c.spot ? 'yes' : 'no' })),
      columns: ['class', 'vCPU', 'memory (GiB)', 'spot'],
    });
    return { parameter, classes };
  }
}
