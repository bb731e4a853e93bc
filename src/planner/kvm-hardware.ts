// PURE: the hardware a converted VM gets under KVM: what the source says (the vSphere inventory;
// for local disks, defaults and the guest's own firmware), overridden by the vm block and its
// policy. MACs are kept unless the policy regenerates them; every NIC becomes virtio unless declared.
import type { HardwareFacts, SourceHardware } from '../model/facts.js';
import { sha256 } from '../util/hash.js';
import type { NicConfig, VmConfig } from '../schema/config.js';

const DEFAULT_CPUS = 2;
const DEFAULT_MEMORY_MIB = 2048;

/** A MAC for a NIC with none kept: in the KVM range, derived from the state's lineage and the VM's
 *  address (unique in one state), so one configuration's `vm "web"` and another's differ, and every
 *  plan of one state derives the same one. */
export function derivedMac(lineage: string, address: string, index: number): string {
  const h = sha256(`${lineage}/${address}#${index}`);
  return `52:54:00:${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}`;
}

/** `guestFirmware`: what the disk boots with, for sources that cannot tell; `lineage`: the state's
 *  (src/state/store.ts `lineageFor`), the seed of derived MACs. */
export function kvmHardware(
  vm: VmConfig,
  from: SourceHardware,
  lineage: string,
  guestFirmware?: 'bios' | 'uefi',
): HardwareFacts {
  const auto = vm.firmware ?? from.firmware ?? guestFirmware ?? 'bios';
  const firmware = vm.policy.firmware !== 'auto' ? vm.policy.firmware : auto;
  // Secure Boot is a UEFI feature: a guest made BIOS by the policy has none.
  const secureBoot =
    firmware === 'uefi' && (vm.policy.secure_boot === 'auto' ? !!from.secure_boot : vm.policy.secure_boot === 'on');
  const declared: Partial<NicConfig>[] = vm.nics?.length ? vm.nics : from.nics.length ? from.nics : [{}];
  const { networks } = vm.policy;
  return {
    cpus: vm.cpus ?? from.cpus ?? DEFAULT_CPUS,
    memory_mib: vm.memory ?? from.memory_mib ?? DEFAULT_MEMORY_MIB,
    firmware,
    ...(secureBoot ? { secure_boot: true as const } : {}),
    nics: declared.map((n, i) => {
      const attach = (n.network !== undefined ? networks[n.network] : undefined) ?? networks['*'];
      return {
        mac: vm.policy.mac === 'preserve' && n.mac ? n.mac : derivedMac(lineage, vm.address, i),
        model: n.model ?? 'virtio',
        ...(n.network ? { network: n.network } : {}),
        ...(attach ? { attach } : {}),
      };
    }),
  };
}
