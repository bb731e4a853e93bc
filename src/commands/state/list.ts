import { dirArg, varFlags, varInputs } from '../../cli/config-flags.js';
import { H2kCommand } from '../../cli/base-command.js';
import { STAGES } from '../../model/plan.js';
import { stateConfig, withState } from '../../cli/state.js';

export default class StateList extends H2kCommand {
  static override summary = 'List the VMs in the state and their last completed stage.';
  static override description =
    'One line per VM recorded in the state (.h2k/state.json, or the backend): the stages done, and a failed ' +
    'stage if any.';
  static override examples = [
    { description: 'What has been done so far', command: '<%= config.bin %> state list examples' },
  ];
  static override args = dirArg;
  static override flags = { ...varFlags };

  async run(): Promise<void> {
    const { args, raw } = await this.parse(StateList);
    const data = await withState(stateConfig(args.dir, varInputs(raw)), async (s) => s.data);
    for (const [address, vm] of Object.entries(data.vms).sort()) {
      const done = STAGES.filter((s) => vm.stages[s]?.status === 'done');
      const failed = STAGES.find((s) => vm.stages[s]?.status === 'failed');
      const doneText = done.length ? `done: ${done.join(', ')}` : 'nothing done';
      this.out(`${address}  ${doneText}${failed ? `  failed: ${failed}` : ''}`);
    }
  }
}
