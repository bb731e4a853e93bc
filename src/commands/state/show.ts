import { Args } from '@oclif/core';
import { dirArg, varFlags, varInputs } from '../../cli/config-flags.js';
import { H2kCommand } from '../../cli/base-command.js';
import { UserError } from '../../util/errors.js';
import { stateConfig, withState } from '../../cli/state.js';

export default class StateShow extends H2kCommand {
  static override summary = "Show one VM's recorded stages: status, input hash, outputs (size, sha256), times.";
  static override description = 'Prints the JSON record of one VM from .h2k/state.json, as apply wrote it.';
  static override examples = [
    { description: 'The record of vm.debian', command: '<%= config.bin %> state show vm.debian examples' },
  ];
  static override args = {
    address: Args.string({ description: 'The VM address, e.g. vm.debian.', required: true }),
    ...dirArg,
  };
  static override flags = { ...varFlags };

  async run(): Promise<void> {
    const { args, raw } = await this.parse(StateShow);
    const vm = (await withState(stateConfig(args.dir, varInputs(raw)), async (s) => s.data)).vms[args.address];
    if (!vm) throw new UserError(`${args.address} is not in the state`, `h2k state list ${args.dir} shows what is`);
    this.out(JSON.stringify({ [args.address]: vm }, null, 2));
  }
}
