// Gathers facts for the selected VMs and runs the pure planner: what plan and apply share.
import { planVm } from '../planner/plan-vm.js';
import { assemblePlan } from '../planner/plan.js';
import type { Plan } from '../planner/types.js';
import { gatherVm, mapLimit } from '../providers/gather.js';
import { configHash } from '../schema/config-hash.js';
import type { Config, VmConfig } from '../schema/config.js';
import type { StateStore } from '../state/state-file.js';
import type { Drift } from '../planner/drift.js';
import { orphans, refreshVm } from '../providers/refresh.js';

export async function buildPlan(config: Config, vms: VmConfig[], state: StateStore, opts: { parallelism: number; progress: (msg: string) => void; replace?: string[] }): Promise<Plan> {
  const gathered = await mapLimit(vms, opts.parallelism, async (vm) => {
    opts.progress(`${vm.address}: reading disks and inspecting the guest (one libguestfs launch)...`);
    const started = Date.now();
    const g = await gatherVm(config, vm);
    opts.progress(`${vm.address}: inspected in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return g;
  });
  const drift: Drift[] = orphans(Object.keys(state.data.vms), config.vms.map((v) => v.address));
  const plans = [];
  for (const g of gathered) {
    const refreshed = await refreshVm(config.dir, g.vm.address, state.data.vms[g.vm.address]);
    drift.push(...refreshed.drift);
    // -replace: plan this VM as if nothing had been done.
    const replaced = opts.replace?.some((r) => g.vm.address === r || g.vm.address.startsWith(`${r}[`));
    const vmPlan = planVm({ vm: g.vm, sourceType: g.sourceType, facts: g.facts, fingerprint: g.fingerprint, recorded: replaced ? {} : refreshed.recorded });
    // A converted VM whose source no longer matches: say so, besides planning it again.
    if (!replaced && refreshed.recorded.flatten?.status === 'done' && vmPlan.actions.some((a) => a.stage === 'flatten'))
      drift.push({ vm: g.vm.address, stage: 'flatten', problem: 'the source changed since it was converted' });
    plans.push(vmPlan);
  }
  return assemblePlan({ configHash: configHash(config), serial: state.data.serial, lineage: state.data.serial === 0 ? null : state.data.lineage, vms: plans, drift });
}
