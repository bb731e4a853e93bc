// PURE: what the vSphere inventory alone says is risky about migrating a VM.
import type { PolicySettings } from '../../schema/config-schema.js';
import type { RawFinding } from '../../model/plan.js';
import type { InventoryFacts } from '../../model/source-facts.js';

type Raw = RawFinding;

/** guestIds h2k can convert (Linux families); Windows is reported by inspection, the rest here. */
const LINUX_GUEST = new RegExp(
  `^(${[
    'debian',
    'ubuntu',
    'rhel',
    'centos',
    'oracleLinux',
    'sles',
    'opensuse',
    'fedora',
    'other\\d*xLinux',
    'otherLinux',
    'almalinux',
    'rockylinux',
    'photon',
    'amazonlinux',
    'asianux',
    'coreos',
    'genericLinux',
  ].join('|')})`,
  'i',
);

export function inventoryFindings(inv: InventoryFacts, policy: PolicySettings): Raw[] {
  const out: Raw[] = [];
  if (inv.power_state !== 'poweredOff') {
    if (policy.allow_power_off)
      out.push({
        code: 'source-powered-on',
        severity: 'info',
        message:
          `the VM is ${inv.power_state}: FETCH will shut it down through govc (guest shutdown, at most ` +
          `${policy.power_off_timeout} s) before copying its disks`,
      });
    else
      out.push({
        code: 'source-powered-on',
        severity: 'critical',
        message:
          `the VM is ${inv.power_state}: its disks change while they are copied; shut it down, or set ` +
          `allow_power_off = true in the policy`,
      });
  }
  if (inv.snapshots.length)
    out.push({
      code: 'snapshots-present',
      severity: 'info',
      message:
        `${inv.snapshots.length} snapshot(s) (${inv.snapshots.map((s) => s.name).join(', ')}): the VM is ` +
        `migrated at its current state; snapshots are not carried over`,
    });
  for (const d of inv.disks) {
    if (d.rdm)
      out.push({
        code: 'rdm-disk',
        severity: 'critical',
        message: `${d.label} is a raw device mapping: its data is on a LUN, not in the datastore, and is not migrated`,
      });
    if (d.sharing !== 'sharingNone')
      out.push({
        code: 'shared-disk',
        severity: 'critical',
        message:
          `${d.label} (${d.file}) is shared (${d.sharing}) with other VMs: copying it while they write gives an ` +
          `inconsistent disk`,
      });
    if (d.mode.startsWith('independent'))
      out.push({
        code: 'independent-disk',
        severity: 'warning',
        message:
          `${d.label} (${d.file}) is ${d.mode}: snapshots never covered ` +
          `it${d.mode === 'independent_nonpersistent' ? ', and its changes are discarded at power-off' : ''}`,
      });
  }
  if (inv.passthrough.length)
    out.push({
      code: 'passthrough-device',
      severity: 'critical',
      message: `passthrough device(s) ${inv.passthrough.join(', ')}: the KVM guest will not have them`,
    });
  if (inv.vtpm)
    out.push({
      code: 'vtpm',
      severity: 'critical',
      message: 'the VM has a virtual TPM: its sealed secrets (BitLocker/LUKS keys bound to the TPM) do not move to KVM',
    });
  if (inv.encrypted)
    out.push({
      code: 'encrypted-vm',
      severity: 'critical',
      message: 'the VM is encrypted by vSphere: its disks cannot be read outside vSphere; decrypt it first',
    });
  if (inv.secure_boot)
    out.push({
      code: 'secure-boot',
      severity: 'warning',
      message:
        "EFI secure boot is on: the KVM guest gets it too (OVMF with Microsoft's keys enrolled, fresh variables); " +
        'keys or hashes the VMware NVRAM enrolled besides (MOK, a custom db) do not come along',
    });
  if (!LINUX_GUEST.test(inv.guest_id)) {
    const windows = /^win/i.test(inv.guest_id);
    out.push({
      code: 'guest-id-unsupported',
      severity: windows ? 'critical' : 'warning',
      message: `guestId ${inv.guest_id || '(none)'}: ${
        windows
          ? 'Windows guests are not supported yet'
          : 'not a Linux guest type h2k knows; inspection decides what the disk really holds'
      }`,
    });
  }
  return out;
}
