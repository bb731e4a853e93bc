import { relative, dirname, resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { H2kCommand } from '../cli/base-command.js';
import { dirArg, varFlags, varInputs } from '../cli/config-flags.js';
import { EXIT, UserError } from '../util/errors.js';
import { loadOrFail, selectTargets } from '../cli/load-or-fail.js';
import { targetFlags } from '../cli/plan-flags.js';
import { blockingFindings, hasChanges, planHash, planJson } from '../model/plan-helpers.js';
import { buildPlan } from '../operations/plan.js';
import { refreshOnly, renderDrift } from '../operations/refresh-only.js';
import { renderPlanText } from '../render/plan-text.js';
import { StateLock } from '../state/local/lock.js';
import { StateStore, writeFileAtomic } from '../state/local/state-file.js';
import { GuestfishSession } from '../tools/guestfish.js';
import { Govc } from '../providers/vsphere/govc.js';

export default class Plan extends H2kCommand {
  static override summary = 'Inspect the sources and show exactly what apply would do.';
  static override description = `For each VM: reads its disks' chain, inspects the guest in ONE read-only libguestfs launch,
and computes every action: the stages still to run, a unified diff of every guest file FIX will
change, the commands it will run in the guest, and findings (critical / warning / info). Nothing
is written anywhere but the plan file.

Exit status: 0 success; 1 error or an unacknowledged critical finding; with -detailed-exitcode,
0 no changes, 2 changes present. With -refresh-only, only drift is reported (2 when there is some).`;
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
        'Inspect guests (vSphere: through Range reads of the datastore, no download). -inspect=false reads the vSphere inventory only: seconds for a thousand VMs, inventory findings, no guest diffs; such a plan cannot be applied.',
      default: true,
      allowNo: true,
    }),
  };

  async run(): Promise<void> {
    const { args, flags, raw } = await this.parse(Plan);
    const config = loadOrFail(args.dir, varInputs(raw));
    const vms = selectTargets(config, flags.target);
    const lock = await StateLock.acquire(config.dir, 'plan');
    try {
      const state = await StateStore.open(config.dir);
      if (flags['refresh-only']) {
        const drift = await refreshOnly(config, state);
        this.out(renderDrift(drift));
        if (drift.length) this.out('To make the state match, run: h2k apply -refresh-only');
        if (flags['detailed-exitcode'] && drift.length) this.exitWith(EXIT.changes);
        return;
      }
      const progress = (msg: string) => this.err(this.paint(process.stderr).dim(msg));
      const plan = await buildPlan(config, vms, state, {
        parallelism: flags.parallelism,
        progress,
        replace: flags.replace,
        targets: flags.target,
        inspect: flags.inspect,
      });
      if (flags.out) {
        const file = resolve(flags.out);
        writeFileAtomic(
          file,
          planJson({ ...plan, config_dir: relative(dirname(file), config.dir) || '.' } as typeof plan),
        );
      }
      this.out(flags.json ? planJson(plan) : renderPlanText(plan, this.paint()));
      if (flags.out && !flags.json)
        this.out(`Saved the plan to ${flags.out}. Apply exactly it with: h2k apply ${flags.out}`);
      if (this.debugMode)
        this.err(`libguestfs launches: ${GuestfishSession.launches}; govc processes: ${Govc.processes}`);
      const blocking = blockingFindings(plan);
      if (blocking.length) {
        throw new UserError(
          `${blocking.length} critical finding(s) block this plan: ${blocking.map((b) => `${b.vm} [${b.code}]`).join(', ')}`,
          "fix the cause, or accept the risk by adding the code to the policy's acknowledge list",
        );
      }
      await state.audit({
        event: 'plan-created',
        plan_hash: planHash(plan),
        details: { vms: Object.keys(plan.vms), changes: hasChanges(plan), ...(flags.out ? { out: flags.out } : {}) },
      });
      if (flags['detailed-exitcode'] && hasChanges(plan)) this.exitWith(EXIT.changes);
    } finally {
      lock.release();
    }
  }
}
