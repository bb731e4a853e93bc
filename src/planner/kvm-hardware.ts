// The hardware a converted VM gets under KVM: what the source says (the vSphere inventory, or for
// local disks the guest's own firmware and defaults), overridden by the vm block and its policy.
// MACs are kept unless the policy regenerates them; every NIC becomes virtio unless declared.
import { derivedMac } from './plan-vm.js';
import type { HardwareFacts } from '../model/plan.js';
import type { NicConfig, VmConfig } from '../schema/config.js';

export interface SourceHardware {
  cpus: number;
  memoryMiB: number;
  firmware: 'bios' | 'uefi';
  nics: { mac?: string; network?: string }[];
}

export function kvmHardware(vm: VmConfig, from: SourceHardware): HardwareFacts {
  const firmware = vm.policy.firmware !== 'auto' ? vm.policy.firmware : (vm.firmware ?? from.firmware);
  const declared: Partial<NicConfig>[] = vm.nics?.length ? vm.nics : from.nics.length ? from.nics : [{}];
  return {
    cpus: vm.cpus ?? from.cpus,
    memoryMiB: vm.memory ?? from.memoryMiB,
    firmware,
    nics: declared.map((n, i) => ({
      mac: vm.policy.mac === 'preserve' && n.mac ? n.mac : derivedMac(vm.address, i),
      model: n.model ?? 'virtio',
      ...(n.network ? { network: n.network } : {}),
    })),
  };
}
