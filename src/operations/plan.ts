// Gathers facts for the selected VMs and runs the pure planner: what plan and apply share.
import { existsSync, statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { planVm } from '../planner/plan-vm.js';
import { assemblePlan } from '../model/plan-helpers.js';
import type { Plan } from '../model/plan.js';
import { gatherVms } from './gather.js';
import { configHash } from '../schema/config-hash.js';
import type { Config, VmConfig } from '../schema/config.js';
import type { StateStore } from '../state/local/state-file.js';
import type { Drift } from '../model/drift.js';
import { orphans, refreshVm } from './refresh.js';

/** Free bytes of the filesystem that holds (or will hold) dir. */
function freeBytesAt(dir: string): number | undefined {
  let d = dir;
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  try {
    const s = statfsSync(d);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

export async function buildPlan(
  config: Config,
  vms: VmConfig[],
  state: StateStore,
  opts: {
    parallelism: number;
    progress: (msg: string) => void;
    replace?: string[];
    targets?: string[];
    inspect?: boolean;
  },
): Promise<Plan> {
  const all = await gatherVms(config, vms, {
    parallelism: opts.parallelism,
    progress: opts.progress,
    inspect: opts.inspect ?? true,
  });
  // -target vm.lab["x"] may name one instance of a discovering vm.
  const gathered = all.filter(
    (g) => !opts.targets?.length || opts.targets.some((t) => g.vm.address === t || g.vm.address.startsWith(`${t}[`)),
  );
  // Instances of a discovering vm that this run did not look for are not orphans.
  const unsearched = config.vms.filter((v) => v.discover && !vms.includes(v)).map((v) => `${v.address}[`);
  const known = [...config.vms.map((v) => v.address), ...all.map((g) => g.vm.address)];
  const drift: Drift[] = orphans(
    Object.keys(state.data.vms).filter((a) => !unsearched.some((u) => a.startsWith(u))),
    known,
  );
  const plans = [];
  for (const g of gathered) {
    const refreshed = await refreshVm(config.dir, g.vm.address, state.data.vms[g.vm.address]);
    drift.push(...refreshed.drift);
    // -replace: plan this VM as if nothing had been done.
    const replaced = opts.replace?.some((r) => g.vm.address === r || g.vm.address.startsWith(`${r}[`));
    const vmPlan = planVm({
      vm: g.vm,
      sourceType: g.sourceType,
      facts: g.facts,
      fingerprint: g.fingerprint,
      recorded: replaced ? {} : refreshed.recorded,
      freeBytes: freeBytesAt(resolve(config.dir, g.vm.policy.output_dir)),
    });
    // A converted VM whose source no longer matches: say so, besides planning it again.
    if (!replaced && refreshed.recorded.flatten?.status === 'done' && vmPlan.actions.some((a) => a.stage === 'flatten'))
      drift.push({ vm: g.vm.address, stage: 'flatten', problem: 'the source changed since it was converted' });
    plans.push(vmPlan);
  }
  return assemblePlan({
    configHash: configHash(config),
    serial: state.data.serial,
    lineage: state.data.serial === 0 ? null : state.data.lineage,
    vms: plans,
    drift,
  });
}
