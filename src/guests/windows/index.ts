// The Windows guest family, sealed: everything Windows lives in this folder. Inspection reads the
// hives and virtio-win; the planner (plan.ts) injects viostor as a boot driver, stages the other
// drivers and a first-boot script, and gives UEFI guests the fallback loader; FIX's registry edits
// go through hivex. A Windows guest cannot be booted here (no Windows media): VALIDATE says so.
import type { WindowsGuestFacts } from '../../model/guest-facts.js';
import type { GuestFamily } from '../family.js';
import { applyRegistryEdit, verifyRegistryEdit } from './hive-edit.js';
import { inspectWindows } from './inspect.js';
import { planWindows } from './plan.js';
import { openVirtioWin, virtioWinStamp } from './virtio-win.js';

const MIB = 2 ** 20;

export const windows: GuestFamily<WindowsGuestFacts> = {
  family: 'windows',
  handles: (osType) => osType === 'windows',
  inspect: inspectWindows,
  plan: planWindows,
  hostInputs: (policy, configDir) => virtioWinStamp(policy.virtio_win ?? '', configDir),
  fixMounts: (guest) => [
    { mountpoint: '/C', device: guest.root },
    ...(guest.esp ? [{ mountpoint: '/ESP', device: guest.esp }] : []),
  ],
  // The uploaded drivers, each hive twice (the merged copy is written beside the old blocks), and
  // 16 MiB for the scripts and NTFS's own metadata.
  fixWriteBytes: (guest) =>
    Object.values(guest.virtio_win?.drivers ?? {})
      .flat()
      .reduce((n, f) => n + 2 * f.bytes, 0) +
    2 * (guest.hives.system.bytes + guest.hives.software.bytes) +
    16 * MIB,
  openHostFiles: (policy, configDir) => openVirtioWin(policy.virtio_win ?? '', configDir),
  applyEdit: async (g, edit) => {
    if (edit.kind !== 'registry') throw new Error(`the Windows family has no ${edit.kind} edit`);
    await applyRegistryEdit(g, edit);
  },
  verifyEdit: async (g, edit) => edit.kind === 'registry' && verifyRegistryEdit(g, edit),
  domain: { clock: 'localtime', hyperv: true },
  prepareBoot: async () => undefined,
  boot: {
    failures: [],
    untestable:
      'Windows cannot be booted on this host (there is no Windows media to test with); VALIDATE checks the ' +
      'converted disks with qemu-img, and FIX read back every registry value, driver file and script it wrote',
  },
};
