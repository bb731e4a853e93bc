import { Args } from '@oclif/core';
import { dirArg, varFlags, varInputs } from '../cli/config-flags.js';
import { H2kCommand } from '../cli/base-command.js';
import { stateConfig, withBackend } from '../cli/state.js';

export default class ForceUnlock extends H2kCommand {
  static override summary = 'Remove a state lock left behind by a process that died.';
  static override description = `Removes the lock only when its ID matches the one given (h2k prints it when it finds
a lock).
Never use it while an apply is still running: two applies on one state can corrupt its outputs.`;
  static override examples = [
    {
      description: 'Remove a stale lock of the configuration in examples/',
      command: '<%= config.bin %> force-unlock 86cb094b-0420-42ad-9ff6-35bfa7a25062 examples',
    },
  ];
  static override args = {
    id: Args.string({ description: 'The lock ID, as printed in the lock error.', required: true }),
    ...dirArg,
  };
  static override flags = { ...varFlags };

  async run(): Promise<void> {
    const { args, raw } = await this.parse(ForceUnlock);
    const lock = await withBackend(stateConfig(args.dir, varInputs(raw)), (b) => b.forceUnlock(args.id));
    this.out(
      `Removed the lock held by ${lock.operation} (${lock.who}@${lock.host}, pid ${lock.pid}, since ${lock.created}).`,
    );
  }
}
