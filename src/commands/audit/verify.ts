import { dirArg, varFlags, varInputs } from '../../cli/config-flags.js';
import { H2kCommand } from '../../cli/base-command.js';
import { EXIT } from '../../util/errors.js';
import { stateConfig, withState } from '../../cli/state.js';

export default class AuditVerify extends H2kCommand {
  static override summary = 'Check that the audit journal was not edited, truncated or reordered.';
  static override description = `Every record carries the sha256 of the one before it, and the state file keeps the
hash of the
newest. Any edited, removed or reordered record breaks the chain and is reported with its line.

Exit status: 0 intact, 1 tampered.`;
  static override examples = [
    {
      description: 'Verify the journal of the configuration in examples/',
      command: '<%= config.bin %> audit verify examples',
    },
  ];
  static override args = dirArg;
  static override flags = { ...varFlags };

  async run(): Promise<void> {
    const { args, raw } = await this.parse(AuditVerify);
    const { records, problems } = await withState(stateConfig(args.dir, varInputs(raw)), (state) =>
      state.backend.verifyAudit(state.data.audit_head),
    );
    const p = this.paint();
    if (problems.length === 0) {
      this.out(`${p.green('ok')}: ${records.length} audit record(s), chain intact.`);
      return;
    }
    for (const pr of problems) this.err(`${p.red('tampered')}: line ${pr.line}: ${pr.problem}`);
    this.exitWith(EXIT.error);
  }
}
