// LVM: /dev/mapper/vg-lv and /dev/vg/lv names are stable and stay. What pins LVM to VMware's disks
// goes: the devices file (/etc/lvm/devices/system.devices, EL9's default) names each PV by the
// VMware disk's WWID or serial, which KVM's virtio disks do not have, so LVM would ignore them and
// the root LV never appears. Without the file LVM scans every disk. The initramfs carries a copy,
// so it is rebuilt after this (the initramfs module's rebuild runs after every file edit). Device
// filters in lvm.conf that accept only sdX names would do the same; they are reported, not edited.
import { fileText } from '../../../model/guest-facts.js';
import { type FixContext, type FixResult, nothing } from '../modules.js';

const DEVICES_FILE = '/etc/lvm/devices/system.devices';

/** The active `filter = [...]` and `global_filter = [...]` settings of lvm.conf. */
function filters(conf: string): string[] {
  return conf
    .split('\n')
    .filter((l) => /^\s*(global_)?filter\s*=/.test(l))
    .map((l) => l.trim());
}

export function fixLvm(ctx: FixContext): FixResult {
  const result = nothing();
  const files = ctx.guest.files;
  const devices = fileText(files, DEVICES_FILE);
  if (devices !== undefined && /^\s*IDTYPE=/m.test(devices)) {
    const ids = [...devices.matchAll(/IDNAME=(\S+)/g)].map((m) => m[1]);
    result.edits.push({
      kind: 'delete',
      path: DEVICES_FILE,
      before: files[DEVICES_FILE],
      reason: `it admits only the VMware disks (${ids.join(', ')}); without it LVM finds the PVs on virtio`,
    });
  }
  for (const f of filters(fileText(files, '/etc/lvm/lvm.conf') ?? ''))
    if (/\/dev\/(sd|hd|disk\/by-path)/.test(f))
      result.findings.push({
        code: 'lvm-device-filter',
        severity: 'warning',
        message: `/etc/lvm/lvm.conf has "${f}", which names VMware-era devices: check it admits /dev/vd* on KVM`,
      });
  return result;
}
