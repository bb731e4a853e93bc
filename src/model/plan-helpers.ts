// PURE: the whole plan from per-VM plans, with counts; plus the questions callers ask of it.
import { canonicalJson, hashOf } from '../util/hash.js';
import type { Plan, VmPlan } from './plan.js';

export const PLAN_FORMAT_VERSION = '1.0';

export function assemblePlan(input: {
  configHash: string;
  serial: number;
  lineage: string | null;
  vms: VmPlan[];
  drift?: Plan['drift'];
}): Plan {
  return {
    format_version: PLAN_FORMAT_VERSION,
    config_hash: input.configHash,
    drift: input.drift ?? [],
    state: { serial: input.serial, lineage: input.lineage },
    vms: Object.fromEntries([...input.vms].sort((a, b) => (a.address < b.address ? -1 : 1)).map((v) => [v.address, v])),
  };
}

export function hasChanges(plan: Plan): boolean {
  return Object.values(plan.vms).some((v) => v.actions.length > 0);
}

export function blockingFindings(plan: Plan) {
  return Object.values(plan.vms).flatMap((v) =>
    v.findings.filter((f) => f.severity === 'critical' && !f.acknowledged).map((f) => ({ vm: v.address, ...f })),
  );
}

export function planHash(plan: Plan): string {
  return hashOf(plan);
}

export function planJson(plan: Plan): string {
  return canonicalJson(plan);
}
