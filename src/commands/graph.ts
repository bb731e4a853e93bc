import { Args } from '@oclif/core';
import { H2kCommand } from '../cli/base-command.js';
import { readPlanFile } from '../operations/plan-file.js';
import { renderPlanDot } from '../render/plan-dot.js';

export default class Graph extends H2kCommand {
  static override summary = 'Print the action graph of a saved plan as Graphviz DOT.';
  static override description = 'One cluster per VM, a node per stage still to run, and an edge for each dependency.';
  static override examples = [
    { description: 'Draw the plan', command: '<%= config.bin %> graph plan.json | dot -Tsvg > plan.svg' },
  ];
  static override args = { file: Args.string({ description: 'A plan file from h2k plan -out.', required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(Graph);
    this.out(renderPlanDot(readPlanFile(args.file).plan));
  }
}
