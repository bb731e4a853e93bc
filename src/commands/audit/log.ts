import { Flags } from '@oclif/core';
import { dirArg, varFlags, varInputs } from '../../cli/config-flags.js';
import { H2kCommand } from '../../cli/base-command.js';
import { stateConfig, withBackend } from '../../cli/state.js';

export default class AuditLog extends H2kCommand {
  static override summary = 'Show the audit journal: plans made, applies, stages done or failed, state changes.';
  static override description = 'Oldest first. `audit verify` checks the journal was not tampered with.';
  static override examples = [
    {
      description: 'Everything that happened to one VM',
      command: '<%= config.bin %> audit log examples --vm vm.debian',
    },
    { description: 'As JSON lines for another tool', command: '<%= config.bin %> audit log examples --json' },
  ];
  static override args = dirArg;
  static override flags = {
    ...varFlags,
    vm: Flags.string({ description: 'Only records about this VM address.', helpValue: 'ADDR' }),
    json: Flags.boolean({ description: 'One JSON record per line.' }),
  };

  async run(): Promise<void> {
    const { args, flags, raw } = await this.parse(AuditLog);
    const { records } = await withBackend(stateConfig(args.dir, varInputs(raw)), (b) => b.verifyAudit());
    for (const r of records.filter((x) => !flags.vm || x.vm === flags.vm)) {
      if (flags.json) this.out(JSON.stringify(r));
      else
        this.out(
          [
            `${r.time}  ${r.who}@${r.host}  ${r.event}`,
            r.vm ? ` ${r.vm}` : '',
            r.stage ? ` ${r.stage}` : '',
            r.plan_hash ? `  plan ${r.plan_hash.slice(0, 12)}` : '',
          ].join(''),
        );
    }
  }
}
