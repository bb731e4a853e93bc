import { Args, Flags } from '@oclif/core';
import { H2kCommand } from '../cli/base-command.js';
import { readPlanFile } from '../operations/plan-file.js';
import { planJson } from '../planner/plan.js';
import { renderDrift } from '../render/drift.js';
import { renderPlanMarkdown } from '../render/plan-markdown.js';
import { renderPlanText } from '../render/plan-text.js';

export default class Show extends H2kCommand {
  static override summary = 'Render a saved plan: for a terminal, as JSON, or as a pull-request comment.';
  static override description = `Colour is used only in a terminal. --markdown renders summary counts and a
collapsible section
per VM with its guest-file diffs and findings, stable so an updated PR comment diffs well.`;
  static override examples = [
    { description: 'Review a saved plan', command: '<%= config.bin %> show plan.json' },
    { description: 'Post it on a pull request', command: '<%= config.bin %> show plan.json --markdown > comment.md' },
  ];
  static override args = { file: Args.string({ description: 'A plan file from h2k plan -out.', required: true }) };
  static override flags = {
    json: Flags.boolean({ description: 'The plan JSON (canonical: sorted keys).', exclusive: ['markdown'] }),
    markdown: Flags.boolean({ description: 'Markdown for a pull-request comment.' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Show);
    const { plan } = readPlanFile(args.file);
    if (flags.json) this.out(planJson(plan));
    else if (flags.markdown) this.out(renderPlanMarkdown(plan));
    else if (plan.mode === 'refresh-only') this.out(renderDrift(plan.drift));
    else this.out(renderPlanText(plan, this.paint()));
  }
}
