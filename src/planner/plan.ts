// PURE: the whole plan from per-VM plans; its hash and canonical JSON.
import { type Drift, type Finding, PLAN_FORMAT_VERSION, type Plan, type PlanMode, type VmPlan } from '../model/plan.js';
import { canonicalJson, hashOf } from '../util/hash.js';

/** Two guests with one MAC cannot share a network: every VM whose NIC has a KVM-range MAC (52:54:00,
 *  the range h2k derives MACs in: 24 bits of a hash of the state's lineage and the VM's address,
 *  unique in one state but for a collision of those bits) that a VM of the plan made from another source VM has gets a
 *  Critical finding naming it, unless its policy acknowledges `mac-collision`. MACs kept from VMware
 *  are vCenter's to keep unique (simulators repeat them); vm blocks that select one source VM twice
 *  carry its MACs alike: one machine, not a collision. */
function macCollisions(vms: VmPlan[], acknowledges: (vm: string, code: string) => boolean): VmPlan[] {
  const owners = new Map<string, VmPlan[]>();
  for (const vm of vms)
    for (const { mac } of vm.facts.hardware.nics)
      if (mac.toLowerCase().startsWith('52:54:00:')) owners.set(mac, [...(owners.get(mac) ?? []), vm]);
  const machine = (vm: VmPlan) => hashOf(vm.source);
  return vms.map((vm) => {
    const clashes = [...new Set(vm.facts.hardware.nics.map((n) => n.mac))].flatMap((mac) => {
      // A MAC one VM alone has (the common case) needs no source hashed.
      const owning = owners.get(mac) ?? [];
      if (owning.length < 2) return [];
      const others = [...new Set(owning.filter((o) => machine(o) !== machine(vm)).map((o) => o.address))];
      return others.length
        ? [
            {
              code: 'mac-collision',
              severity: 'critical' as const,
              message:
                `MAC ${mac} is also ${others.join(', ')}'s: two guests with one MAC cannot share a network ` +
                '(declare nics = [{ mac = … }] on one of them)',
              acknowledged: acknowledges(vm.address, 'mac-collision'),
            },
          ]
        : [];
    });
    const rank = (f: Finding) => ['critical', 'warning', 'info'].indexOf(f.severity);
    const findings = [...clashes, ...vm.findings].sort((a, b) => rank(a) - rank(b) || (a.code < b.code ? -1 : 1));
    return clashes.length ? { ...vm, findings } : vm;
  });
}

export function assemblePlan(input: {
  mode?: PlanMode;
  configHash: string;
  serial: number;
  lineage: string | null;
  vms: VmPlan[];
  drift?: Drift[];
  /** Whether a VM's policy acknowledges a finding's code (for findings across VMs). */
  acknowledges?: (vm: string, code: string) => boolean;
}): Plan {
  const sorted = [...input.vms].sort((a, b) => (a.address < b.address ? -1 : 1));
  const vms = macCollisions(sorted, input.acknowledges ?? (() => false));
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
