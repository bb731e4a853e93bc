import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { H2kCommand } from '../cli/base-command.js';
import { EXIT, UserError } from '../util/errors.js';
import { renderDiagnostic } from '../render/diagnostics.js';
import { unifiedDiff } from '../util/unified-diff.js';
import { DiagnosticError } from '../schema/diagnostics.js';
import { formatHcl } from '../schema/format.js';
import { CONFIG_SUFFIX } from '../schema/load.js';
import { SourceFile, toRange } from '../schema/source-file.js';

export default class Fmt extends H2kCommand {
  static override summary = 'Rewrite *.h2k.hcl files in the canonical layout.';
  static override description = `Two-space indentation, "=" aligned within runs of attributes, single spaces in block
headers, no runs of blank lines. Comments are kept. Formatting a formatted file changes nothing.
A file with a syntax error is reported and left untouched.

Exit status: 0 ok; with --check, 3 when any file would change (they are listed); 1 on syntax errors.`;
  static override examples = [
    { description: 'Format every configuration file in the current directory', command: '<%= config.bin %> fmt' },
    {
      description: 'In CI: fail if anything is not formatted, and show how',
      command: '<%= config.bin %> fmt examples --check --diff',
    },
  ];
  static override args = {
    target: Args.string({ description: 'A directory of *.h2k.hcl files, or one file.', default: '.' }),
  };
  static override flags = {
    check: Flags.boolean({ description: 'Change nothing; exit 3 and list the files that are not formatted.' }),
    diff: Flags.boolean({ description: 'Print a unified diff of the changes.' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Fmt);
    let files: string[];
    try {
      files = statSync(args.target).isDirectory()
        ? readdirSync(args.target)
            .filter((f) => f.endsWith(CONFIG_SUFFIX))
            .sort()
            .map((f) => join(args.target, f))
        : [args.target];
    } catch {
      throw new UserError(`${args.target} does not exist.`, 'give a directory of *.h2k.hcl files or one such file.');
    }
    let unformatted = 0;
    let broken = 0;
    for (const f of files) {
      const before = readFileSync(f, 'utf8');
      let after: string;
      try {
        after = formatHcl(f, before);
      } catch (err) {
        if (!(err instanceof DiagnosticError)) throw err;
        broken++;
        const d = {
          severity: 'error' as const,
          summary: err.summary,
          detail: err.detail,
          ...(err.span ? { range: toRange(err.span) } : {}),
        };
        this.err(renderDiagnostic(d, new Map([[f, new SourceFile(f, before)]]), this.paint(process.stderr)));
        continue;
      }
      if (after === before) continue;
      unformatted++;
      this.out(f);
      if (flags.diff) this.out(unifiedDiff(before, after, f, f));
      if (!flags.check) writeFileSync(f, after);
    }
    if (broken) this.exitWith(EXIT.error);
    if (flags.check && unformatted) this.exitWith(3);
  }
}
