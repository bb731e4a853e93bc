import { Flags } from '@oclif/core';
import { H2kCommand } from '../cli/base-command.js';
import { dirArg, varFlags, varInputs } from '../cli/config-flags.js';
import { printDiagnostics } from '../cli/diagnostics.js';
import { loadOrFail } from '../cli/load-or-fail.js';
import { targetFlags } from '../cli/plan-flags.js';
import { withLockedState } from '../cli/state.js';
import { blockingFindings, hasChanges } from '../model/plan.js';
import { writePlanFile } from '../operations/plan-file.js';
import { makePlan } from '../operations/plan.js';
import { planHash, planJson } from '../planner/plan.js';
import { Govc } from '../providers/vsphere/govc.js';
import { renderDrift } from '../render/drift.js';
import { renderPlanText } from '../render/plan-text.js';
import { GuestfishSession } from '../tools/guestfish.js';
import { EXIT, UserError } from '../util/errors.js';

export default class Plan extends H2kCommand {
  static override summary = 'Inspect the sources and show exactly what apply would do.';
  static override description = `For each VM: reads its disks' chain, inspects the guest in ONE read-only libguestfs
launch,
and computes every action: the stages still to run, a unified diff of every guest file FIX will
change, the commands it will run in the guest, and findings (critical / warning / info). Nothing
is written anywhere but the plan file.

Exit status: 0 success; 1 error or an unacknowledged critical finding; with -detailed-exitcode,
0 no changes, 2 changes present. With -refresh-only, only drift is reported (2 when there is some),
and -out saves a refresh-only plan: its apply makes the state match what is on disk.`;
  static override examples = [
    { description: 'Plan the configuration in the current directory', command: '<%= config.bin %> plan' },
    {
      description: 'Save the plan for review and a later `h2k apply plan.json`',
      command: '<%= config.bin %> plan examples -out plan.json',
    },
    {
      description: 'In CI: one VM, exit 2 when there is work to do',
      command: '<%= config.bin %> plan examples -target vm.debian -detailed-exitcode',
    },
    {
      description: 'Survey a whole vCenter folder quickly: inventory and findings, no guest inspection',
      command: '<%= config.bin %> plan examples/vsphere-lab -inspect=false',
    },
  ];
  static override args = dirArg;
  static override flags = {
    ...varFlags,
    ...targetFlags,
    out: Flags.string({ description: 'Write the plan (JSON) to FILE, for `h2k apply FILE`.', helpValue: 'FILE' }),
    json: Flags.boolean({ description: 'Print the plan as JSON instead of text.' }),
    'detailed-exitcode': Flags.boolean({ description: 'Exit 0 when there are no changes, 2 when there are.' }),
    inspect: Flags.boolean({
      description:
        'Inspect guests (vSphere: through Range reads of the datastore, no download). -inspect=false reads the ' +
        'vSphere inventory only: seconds for a thousand VMs, inventory findings, no guest diffs; such a plan ' +
        'cannot be applied.',
      default: true,
      allowNo: true,
    }),
  };

  async run(): Promise<void> {
    const { args, flags, raw } = await this.parse(Plan);
    const config = loadOrFail(args.dir, varInputs(raw));
    const mode = flags['refresh-only'] ? 'refresh-only' : 'normal';
    const progress = (msg: string) => this.err(this.paint(process.stderr).dim(msg));
    const opts = {
      mode,
      parallelism: flags.parallelism,
      inspectBatch: flags['inspect-batch'],
      progress,
      replace: flags.replace,
      targets: flags.target,
    } as const;
    await withLockedState(config, 'plan', async (state) => {
      const { plan, warnings } = await makePlan(config, state, { ...opts, inspect: flags.inspect });
      printDiagnostics(warnings);
      if (flags.out) writePlanFile(flags.out, plan, config.dir);
      if (flags.json) this.out(planJson(plan));
      else if (plan.mode === 'refresh-only') {
        this.out(renderDrift(plan.drift));
        if (plan.drift.length && !flags.out) this.out('To make the state match, run: h2k apply -refresh-only');
      } else this.out(renderPlanText(plan, this.paint()));
      if (flags.out && !flags.json)
        this.out(`Saved the plan to ${flags.out}. Apply exactly it with: h2k apply ${flags.out}`);
      if (this.debugMode)
        this.err(`libguestfs launches: ${GuestfishSession.launches}; govc processes: ${Govc.processes}`);
      const blocking = blockingFindings(plan);
      if (blocking.length) {
        throw new UserError(
          `${blocking.length} critical finding(s) block this plan: ` +
            `${blocking.map((b) => `${b.vm} [${b.code}]`).join(', ')}`,
          "fix the cause, or accept the risk by adding the code to the policy's acknowledge list",
        );
      }
      if (plan.mode === 'normal') {
        const details = {
          vms: Object.keys(plan.vms),
          changes: hasChanges(plan),
          ...(flags.out ? { out: flags.out } : {}),
        };
        await state.audit({ event: 'plan-created', plan_hash: planHash(plan), details });
      }
      if (flags['detailed-exitcode'] && hasChanges(plan)) this.exitWith(EXIT.changes);
    });
  }
}
