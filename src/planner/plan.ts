// PURE: the whole plan from per-VM plans; its hash and canonical JSON.
import { type Drift, PLAN_FORMAT_VERSION, type Plan, type PlanMode, type VmPlan } from '../model/plan.js';
import { canonicalJson, hashOf } from '../util/hash.js';

export function assemblePlan(input: {
  mode?: PlanMode;
  configHash: string;
  serial: number;
  lineage: string | null;
  vms: VmPlan[];
  drift?: Drift[];
}): Plan {
  const vms = [...input.vms].sort((a, b) => (a.address < b.address ? -1 : 1));
  return {
    format_version: PLAN_FORMAT_VERSION,
    mode: input.mode ?? 'normal',
    config_hash: input.configHash,
    drift: input.drift ?? [],
    state: { serial: input.serial, lineage: input.lineage },
    vms: Object.fromEntries(vms.map((v) => [v.address, v])),
  };
}

export function planHash(plan: Plan): string {
  return hashOf(plan);
}

export function planJson(plan: Plan): string {
  return canonicalJson(plan);
}
