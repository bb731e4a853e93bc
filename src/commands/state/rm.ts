import { Args } from '@oclif/core';
import { dirArg, varFlags, varInputs } from '../../cli/config-flags.js';
import { H2kCommand } from '../../cli/base-command.js';
import { UserError } from '../../util/errors.js';
import { stateConfig, withLockedState } from '../../cli/state.js';

export default class StateRm extends H2kCommand {
  static override summary = 'Forget a VM in the state (its output files are left alone).';
  static override description = 'The next plan treats the VM as never converted. Nothing on disk is deleted.';
  static override examples = [
    { description: 'Forget vm.debian', command: '<%= config.bin %> state rm vm.debian examples' },
  ];
  static override args = {
    address: Args.string({ description: 'The VM address, e.g. vm.debian.', required: true }),
    ...dirArg,
  };
  static override flags = { ...varFlags };

  async run(): Promise<void> {
    const { args, raw } = await this.parse(StateRm);
    await withLockedState(stateConfig(args.dir, varInputs(raw)), 'state rm', async (state) => {
      if (!state.data.vms[args.address])
        throw new UserError(`${args.address} is not in the state`, `h2k state list ${args.dir} shows what is`);
      const forget = (d: { vms: Record<string, unknown> }) => {
        delete d.vms[args.address];
      };
      await state.update(forget, { event: 'state-rm', vm: args.address });
      this.out(`Removed ${args.address} from the state (serial ${state.data.serial}). Its files were not touched.`);
    });
  }
}
