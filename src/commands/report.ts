import { relative, resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { dirArg, varFlags, varInputs } from '../cli/config-flags.js';
import { H2kCommand } from '../cli/base-command.js';
import { stateConfig, withState } from '../cli/state.js';
import { buildReport, reportAssets, writeReports } from '../operations/report.js';
import { renderReportHtml } from '../render/report-html.js';
import { UserError } from '../util/errors.js';
import { writeFileAtomic } from '../util/files.js';

export default class Report extends H2kCommand {
  static override summary =
    'Write the migration report (report.html) from the state, its audit journal and the applied plans.';
  static override description = `h2k apply writes it after every run: <output_dir>/report.html, one per output
directory, with the VMs converted there. This command writes it again at any time (after a fleet's workers
finished, after "state rm"): a summary table (verdict, time, bytes, findings), then per VM its source and KVM
hardware, the timeline of its stages with the host that ran each, the guest changes of the plan that ran FIX,
its findings, and what the boot test proved with the console screenshot and the serial console's last lines.

The file is self-contained (no scripts, no network; the screenshots are embedded): mail it, attach it to a
change ticket. --json prints the same report as data.`;
  static override examples = [
    { description: 'Write report.html into each output directory', command: '<%= config.bin %> report examples' },
    { description: 'All VMs in one file', command: '<%= config.bin %> report examples -out wave-3.html' },
    { description: 'As JSON, for a dashboard', command: '<%= config.bin %> report examples --json' },
  ];
  static override args = dirArg;
  static override flags = {
    ...varFlags,
    out: Flags.string({ description: 'Write one report of every VM in the state to FILE instead.', helpValue: 'FILE' }),
    json: Flags.boolean({ description: 'Print the report as JSON on stdout; write no file.', exclusive: ['out'] }),
  };

  async run(): Promise<void> {
    const { args, flags, raw } = await this.parse(Report);
    const config = stateConfig(args.dir, varInputs(raw));
    await withState(config, async (state) => {
      if (!Object.keys(state.data.vms).length)
        throw new UserError(`the state in ${state.backend.location} records no VM yet`, 'run h2k apply first');
      if (flags.json) {
        this.out(JSON.stringify(await buildReport(state), null, 2));
        return;
      }
      if (flags.out) {
        const report = await buildReport(state);
        writeFileAtomic(resolve(flags.out), renderReportHtml(report, reportAssets(report, config.dir), new Date()));
        this.out(`Wrote ${flags.out} (${report.vms.length} VM(s)).`);
        return;
      }
      const written = await writeReports(state, config.dir, new Date());
      if (!written.length)
        throw new UserError(
          'no VM in the state has an output directory yet',
          'pass -out FILE to write the report anyway',
        );
      for (const r of written)
        this.out(`Wrote ${relative(process.cwd(), resolve(config.dir, r.path))} (${r.vms} VM(s)).`);
    });
  }
}
