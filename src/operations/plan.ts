// plan: refresh the state against what is on disk, gather facts through the source drivers, and
// run the pure planner. In refresh-only mode, only the refresh. What plan and apply share.
import { resolve } from 'node:path';
import type { Drift, Plan, PlanMode, VmPlan } from '../model/plan.js';
import { assemblePlan } from '../planner/plan.js';
import type { Compared } from '../planner/attribute-changes.js';
import { type Room, planVm } from '../planner/plan-vm.js';
import { PIPELINE } from '../stages/index.js';
import { sourceDriver } from '../providers/registry.js';
import { configHash } from '../schema/config-hash.js';
import { addressIn, selectTargets } from '../schema/config-vm.js';
import type { Config } from '../schema/config.js';
import { ConfigurationError, type Diagnostic } from '../schema/diagnostics.js';
import { stateDir } from '../state/local/paths.js';
import type { StateStore } from '../state/store.js';
import { roomAt } from '../util/files.js';
import { gatherVms } from './gather.js';
import { orphans, refreshOnly, refreshVm } from './refresh.js';

export interface PlanOptions {
  mode: PlanMode;
  parallelism: number;
  /** Guests inspected in one appliance launch (1: a launch per VM). */
  inspectBatch: number;
  progress: (msg: string) => void;
  targets?: string[];
  replace?: string[];
  /** false: the control plane only (no guest diffs; such a plan cannot be applied). */
  inspect?: boolean;
}

export interface PlanResult {
  plan: Plan;
  /** Warnings about the configuration found while planning (e.g. a discovery that matched nothing). */
  warnings: Diagnostic[];
}

function space(outputDir: string, workDir: string): { space?: { output: Room; work: Room } } {
  const output = roomAt(outputDir);
  const work = roomAt(workDir);
  return output && work ? { space: { output, work } } : {};
}

export async function makePlan(config: Config, state: StateStore, opts: PlanOptions): Promise<PlanResult> {
  const base = { configHash: configHash(config), serial: state.data.serial, lineage: state.planLineage };
  if (opts.mode === 'refresh-only') {
    const drift = await refreshOnly(config, state);
    return { plan: assemblePlan({ ...base, mode: 'refresh-only', vms: [], drift }), warnings: [] };
  }
  const vms = selectTargets(config, opts.targets);
  const inspect = opts.inspect ?? true;
  // Once apply's INSPECT stage confirmed a VM's facts, a re-plan of its unchanged source reuses them.
  const reuse = (address: string) =>
    !addressIn(address, opts.replace) && state.data.vms[address]?.stages.inspect?.status === 'done';
  const { vms: all, problems } = await gatherVms(config, vms, { ...opts, batch: opts.inspectBatch, inspect, reuse });
  const warnings = problems.filter((d) => d.severity !== 'error');
  if (problems.length > warnings.length)
    throw new ConfigurationError(
      'the configuration selects VMs that the inventory does not have (see above)',
      'fix the selectors; `govc find / -type m` lists the VMs of a vCenter',
      problems,
    );
  // -target vm.lab["x"] may name one instance of a discovering vm.
  const gathered = all.filter((g) => !opts.targets?.length || addressIn(g.vm.address, opts.targets));
  // Instances of a discovering vm that this run did not look for are not orphans.
  const unsearched = config.vms.filter((v) => v.discover && !vms.includes(v)).map((v) => `${v.address}[`);
  const known = [...config.vms.map((v) => v.address), ...all.map((g) => g.vm.address)];
  const inState = Object.keys(state.data.vms).filter((a) => !unsearched.some((u) => a.startsWith(u)));
  const drift: Drift[] = orphans(inState, known);
  const previousOf = appliedBefore(state);
  const plans: VmPlan[] = [];
  for (const g of gathered) {
    const refreshed = await refreshVm(config.dir, g.vm.address, state.data.vms[g.vm.address]);
    drift.push(...refreshed.drift);
    // -replace: plan this VM as if nothing had been done.
    const replaced = addressIn(g.vm.address, opts.replace);
    const driver = sourceDriver(g.facts.source.type);
    const vmPlan = planVm({
      vm: g.vm,
      facts: g.facts,
      fingerprint: g.fingerprint,
      source: {
        ...(driver.fetch ? { fetch: driver.fetch.summary } : {}),
        findings: driver.findings(g.facts.source, g.vm.policy),
      },
      recorded: replaced ? {} : refreshed.recorded,
      previous: await previousOf(g.vm.address),
      ...space(resolve(config.dir, g.vm.policy.output_dir), stateDir(config.dir)),
      pipeline: PIPELINE,
      lineage: state.lineageFor(base.configHash),
    });
    // A stage done before and planned again may mean drift (FLATTEN: the source changed since it
    // was converted): say so, besides planning it again.
    if (!replaced)
      for (const s of PIPELINE)
        if (
          s.redoneMeans &&
          refreshed.recorded[s.stage]?.status === 'done' &&
          vmPlan.actions.some((a) => a.stage === s.stage)
        )
          drift.push({ vm: g.vm.address, stage: s.stage, problem: s.redoneMeans });
    plans.push(vmPlan);
  }
  const policies = new Map(gathered.map((g) => [g.vm.address, g.vm.policy]));
  const acknowledges = (vm: string, code: string) => policies.get(vm)?.acknowledge.includes(code) ?? false;
  return { plan: assemblePlan({ ...base, vms: plans, drift, acknowledges }), warnings };
}

/** The VM as the plan of its newest completed stage had it; each kept plan is read once. */
function appliedBefore(state: StateStore): (address: string) => Promise<Compared | undefined> {
  const kept = new Map<string, Promise<Plan | undefined>>();
  return async (address) => {
    const newest = Object.values(state.data.vms[address]?.stages ?? {})
      .filter((r) => r?.status === 'done' && r.plan_hash)
      .sort((a, b) => (a!.finished_at < b!.finished_at ? 1 : -1))[0];
    const hash = newest?.plan_hash;
    if (!hash) return undefined;
    if (!kept.has(hash)) kept.set(hash, state.keptPlan(hash));
    const vm = (await kept.get(hash))?.vms[address];
    return vm && { hardware: vm.facts.hardware, outputs: vm.outputs, ...(vm.policy ? { policy: vm.policy } : {}) };
  };
}
