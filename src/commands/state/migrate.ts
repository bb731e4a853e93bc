import { Flags } from '@oclif/core';
import { dirArg, varFlags, varInputs } from '../../cli/config-flags.js';
import { H2kCommand } from '../../cli/base-command.js';
import { loadOrFail } from '../../cli/load-or-fail.js';
import { withBackend } from '../../cli/state.js';
import { migrateState } from '../../operations/migrate-state.js';
import { UserError } from '../../util/errors.js';

export default class StateMigrate extends H2kCommand {
  static override summary =
    "Copy the state and its audit journal between the local files and the configuration's backend.";
  static override description = [
    'Moving to a backend: add a backend block (e.g. backend "pg" { conn_str = var.pg_conn }), then ' +
      "run this to copy .h2k/state.json and .h2k/audit.jsonl there. -to local copies the backend's " +
      'state back into .h2k/. Both states are locked while copying; the copy is read back and compared ' +
      '(the state, every audit line, the hash chain) before the command succeeds. The origin is left as ' +
      'it was, and a destination that already holds a state is refused.',
  ].join('\n\n');
  static override examples = [
    {
      description: 'Move a local state into the Postgres backend the configuration declares',
      command: 'H2K_VAR_pg_conn=postgres://h2k:…@db:5432/h2k <%= config.bin %> state migrate examples',
    },
    { description: 'Copy it back into local files', command: '<%= config.bin %> state migrate examples -to local' },
  ];
  static override args = dirArg;
  static override flags = {
    ...varFlags,
    to: Flags.string({
      description: "Where to copy the state: the configuration's backend (default) or local files.",
      options: ['backend', 'local'],
      default: 'backend',
    }),
  };

  async run(): Promise<void> {
    const { args, flags, raw } = await this.parse(StateMigrate);
    const config = loadOrFail(args.dir, varInputs(raw));
    const other = config.backend?.type;
    if (!other)
      throw new UserError(
        `the configuration in ${args.dir} declares no backend, so its state has nowhere else to go`,
        'add a backend block, e.g. backend "pg" { conn_str = var.pg_conn }',
      );
    const [fromKind, toKind] = flags.to === 'local' ? ([other, 'local'] as const) : (['local', other] as const);
    const r = await withBackend(
      config,
      (from) => withBackend(config, async (to) => ({ ...(await migrateState(from, to)), from, to }), toKind),
      fromKind,
    );
    this.out(
      `Copied the state (serial ${r.serial}, ${r.vms} VM(s)) and its audit journal (${r.records} record(s)) from ` +
        `${r.from.location} to ${r.to.location}, and verified the copy. The origin was left as it was.`,
    );
  }
}
