import { dirArg } from '../../cli/config-flags.js';
import { H2kCommand } from '../../cli/base-command.js';
import { STAGES } from '../../model/plan.js';
import { openState } from '../../cli/state.js';

export default class StateList extends H2kCommand {
  static override summary = 'List the VMs in the state and their last completed stage.';
  static override description =
    'One line per VM recorded in .h2k/state.json: the stages done, and a failed stage if any.';
  static override examples = [
    { description: 'What has been done so far', command: '<%= config.bin %> state list examples' },
  ];
  static override args = dirArg;

  async run(): Promise<void> {
    const { args } = await this.parse(StateList);
    const state = await openState(args.dir);
    for (const [address, vm] of Object.entries(state.data.vms).sort()) {
      const done = STAGES.filter((s) => vm.stages[s]?.status === 'done');
      const failed = STAGES.find((s) => vm.stages[s]?.status === 'failed');
      const doneText = done.length ? `done: ${done.join(', ')}` : 'nothing done';
      this.out(`${address}  ${doneText}${failed ? `  failed: ${failed}` : ''}`);
    }
  }
}
