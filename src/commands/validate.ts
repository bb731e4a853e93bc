import { Flags } from '@oclif/core';
import { H2kCommand } from '../cli/base-command.js';
import { dirArg, varFlags, varInputs } from '../cli/config-flags.js';
import { EXIT } from '../util/errors.js';
import { renderDiagnostics } from '../render/diagnostics.js';
import { loadConfig } from '../schema/load.js';
import { SOURCE_SCHEMAS } from '../providers/registry.js';

export default class Validate extends H2kCommand {
  static override summary = 'Check a configuration for errors without contacting any source.';
  static override description = `Reads every *.h2k.hcl file in DIR as one configuration and reports every syntax and
semantic problem at once (unknown blocks or arguments, wrong types, unknown references, reference
cycles, missing arguments, duplicate names), each with file:line:col.

Exit status: 0 valid, 1 invalid.`;
  static override examples = [
    { description: 'Validate the configuration in the current directory', command: '<%= config.bin %> validate' },
    {
      description: 'Validate with a variable set, machine-readable',
      command: '<%= config.bin %> validate examples -var vcenter_password=x --json',
    },
  ];
  static override args = dirArg;
  static override flags = {
    ...varFlags,
    json: Flags.boolean({ description: "Print the result in Terraform's validate JSON shape." }),
  };

  async run(): Promise<void> {
    const { args, flags, raw } = await this.parse(Validate);
    const result = loadConfig({ dir: args.dir, inputs: varInputs(raw), sourceTypes: SOURCE_SCHEMAS });
    const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
    const valid = errors === 0;
    if (flags.json) {
      this.out(
        JSON.stringify(
          {
            format_version: '1.0',
            valid,
            error_count: errors,
            warning_count: result.diagnostics.length - errors,
            diagnostics: result.diagnostics.map((d) => ({
              severity: d.severity,
              summary: d.summary,
              detail: d.detail,
              ...(d.range ? { range: d.range } : {}),
            })),
          },
          null,
          2,
        ),
      );
    } else if (valid) {
      const p = this.paint();
      if (result.diagnostics.length)
        this.err(renderDiagnostics(result.diagnostics, result.files, this.paint(process.stderr)));
      const c = result.config!;
      this.out(
        `${p.green('Success!')} The configuration is valid (${c.files.length} ` +
          `file${c.files.length === 1 ? '' : 's'}, ${c.vms.length} VM${c.vms.length === 1 ? '' : 's'}).`,
      );
    } else {
      this.err(renderDiagnostics(result.diagnostics, result.files, this.paint(process.stderr)));
    }
    if (!valid) this.exitWith(EXIT.error);
  }
}
