// Gathers the facts of each VM from its source: disks and fingerprint, one read-only inspection
// launch, and the hardware the KVM guest gets. Everything the pure planner needs, and nothing else.
import { UserError } from '../cli/errors.js';
import { derivedMac } from '../planner/plan-vm.js';
import type { HardwareFacts, SourceFingerprint, VmFacts } from '../planner/types.js';
import type { Config, VmConfig } from '../schema/config.js';
import { InspectionError, inspectGuest } from './guest/inspect.js';
import type { GuestFacts } from './guest/facts.js';
import { DiskChainError } from './local/disk-chain.js';
import { localDisks } from './local/disk-facts.js';

export interface GatheredVm {
  vm: VmConfig;
  sourceType: 'local' | 'vsphere';
  facts: VmFacts;
  fingerprint: SourceFingerprint;
}

export function hardwareFor(vm: VmConfig, guest: GuestFacts): HardwareFacts {
  const firmware = vm.policy.firmware !== 'auto' ? vm.policy.firmware : (vm.firmware ?? guest.firmware);
  const declared = vm.nics?.length ? vm.nics : [{ model: 'virtio' as const }];
  return {
    cpus: vm.cpus ?? 2,
    memoryMiB: vm.memory ?? 2048,
    firmware,
    nics: declared.map((n, i) => ({
      mac: vm.policy.mac === 'preserve' && 'mac' in n && n.mac ? n.mac : derivedMac(vm.address, i),
      model: n.model,
      ...('network' in n && n.network ? { network: n.network } : {}),
    })),
  };
}

export async function gatherVm(config: Config, vm: VmConfig): Promise<GatheredVm> {
  const source = config.sources[vm.source];
  if (source.type !== 'local') throw new UserError(`${vm.address}: vSphere sources cannot be planned yet`, 'plan local sources with -target vm.NAME; vSphere support is on its way');
  try {
    const disks = await localDisks(source, vm.disks ?? []);
    const guest = await inspectGuest(disks.paths.map((d) => ({ path: d.path, format: d.format })));
    return { vm, sourceType: 'local', fingerprint: disks.fingerprint, facts: { disks: disks.facts, guest, hardware: hardwareFor(vm, guest) } };
  } catch (err) {
    if (err instanceof DiskChainError || err instanceof InspectionError) throw new UserError(`${vm.address}: ${err.message}`, err.hint);
    throw err;
  }
}

/** Runs fn over items with at most `limit` in flight, keeping order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
