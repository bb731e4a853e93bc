// The Linux guest family: inspection, the planned fixes, FIX's mounts, and boot evidence.
import type { LinuxGuestFacts } from '../../model/guest-facts.js';
import type { GuestEdit } from '../../model/plan.js';
import type { GuestFamily } from '../family.js';
import { planBootloader } from './bootloader/index.js';
import { planBtrfs } from './fixers/btrfs.js';
import { fixFstab } from './fixers/fstab.js';
import { fixLvm } from './fixers/lvm.js';
import { layoutFindings } from './fixers/unsupported-layouts.js';
import { fixVmwareTools } from './fixers/vmware-tools.js';
import { planInitramfs } from './initramfs/index.js';
import { prepareLinuxBoot } from './boot-probe.js';
import { inspectLinux } from './inspect.js';
import type { FixResult } from './modules.js';
import { planNetwork } from './network/index.js';

const MIB = 2 ** 20;

export const linux: GuestFamily<LinuxGuestFacts> = {
  family: 'linux',
  handles: (osType) => osType === 'linux',
  inspect: inspectLinux,
  plan(guest, policy, nics) {
    if (guest.os.distro === 'unknown') {
      const message = `the guest OS is not recognised (type linux, distro unknown); h2k cannot plan its fixes`;
      return { edits: [], findings: [{ code: 'unknown-guest', severity: 'critical', message }] };
    }
    const ctx = { guest, policy, nics };
    const results: FixResult[] = [
      layoutFindings(ctx),
      fixFstab(ctx),
      fixLvm(ctx),
      planBootloader(ctx),
      planInitramfs(ctx),
      planNetwork(ctx),
      fixVmwareTools(ctx),
      planBtrfs(ctx),
    ];
    const edits = results.flatMap((r) => r.edits);
    // Commands run after every file edit, so the initramfs is built from the edited configuration
    // (a btrfs scrub, checking it all, is the last of them); trimming comes last so CONVERT copies
    // only live data.
    const order = (e: GuestEdit) => (e.kind === 'run' ? 1 : e.kind === 'trim' ? 2 : 0);
    edits.sort((a, b) => order(a) - order(b));
    // A LUKS volume opened by libguestfs passes no discards through (fstrim: "not supported"): blocks
    // freed inside it stay allocated, and CONVERT copies them.
    if (policy.trim && !guest.luks?.length)
      edits.push({ kind: 'trim', reason: 'discard unused blocks so CONVERT copies only live data' });
    const network = results.find((r) => r.network)?.network;
    return { edits, findings: results.flatMap((r) => r.findings), ...(network ? { network } : {}) };
  },
  fixMounts: (guest) => [{ mountpoint: '/', device: guest.root }, ...guest.mounts],
  // Measured on the Debian fixture: FIX grew the overlay by 38 MiB for one 6.8 MiB initramfs (the
  // rebuild's uncompressed work tree, the new image, the old one kept until replaced). Per image
  // six times its size plus 8 MiB, and 16 MiB for the edited files and the journal, stays above.
  fixWriteBytes: (guest) =>
    guest.kernels.reduce((n, k) => n + (k.initrd_bytes ? 6 * k.initrd_bytes + 8 * MIB : 0), 16 * MIB),
  prepareBoot: prepareLinuxBoot,
  boot: {
    failures: [
      [/Kernel panic/, 'kernel panic'],
      [/Gave up waiting for root/, 'the initramfs could not find the root disk'],
      [/ALERT!.*does not exist/, 'the initramfs could not find the root disk'],
      [/Dropping to a shell/, 'the initramfs dropped to a shell'],
      [/emergency mode/i, 'systemd entered emergency mode'],
      [/Timed out waiting for device/, 'systemd timed out waiting for a device in fstab'],
      [/Warning: \/dev\/\S+ does not exist/, 'the initramfs could not find the root disk'],
    ],
    passphrasePrompts: [
      // initramfs-tools' cryptroot (Debian, Ubuntu)
      /Please unlock disk ([^\s:]+):/,
      // systemd-cryptsetup through the console's password agent (dracut, SUSE, RHEL)
      /Please enter passphrase for disk [^\n]*?\(([^)\s]+)\)/,
    ],
  },
};
