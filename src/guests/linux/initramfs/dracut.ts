// dracut (the RHEL family, SUSE, some Debian and Ubuntu servers): a drop-in in /etc/dracut.conf.d
// adds the virtio drivers, then every installed kernel's initramfs is rebuilt at the path it has.
// dracut is often host-only, and host-only in the FIX appliance sees the appliance's hardware, not
// the KVM guest's: add_drivers makes the drivers part of the image whatever host-only detects. A
// configuration that omits virtio drivers would defeat it, so that is a critical finding.
import { fileText } from '../../../model/guest-facts.js';
import { type InitramfsModule, nothing, rewrite } from '../modules.js';

export const DROP_IN = '/etc/dracut.conf.d/90-h2k-virtio.conf';

const configs = (files: Record<string, unknown>) =>
  Object.keys(files)
    .filter((p) => p === '/etc/dracut.conf' || (p.startsWith('/etc/dracut.conf.d/') && p !== DROP_IN))
    .sort();

export const dracut: InitramfsModule = {
  name: 'dracut',
  detect: async (p) => (await p.exists('/usr/bin/dracut')) && !(await p.exists('/usr/sbin/update-initramfs')),
  plan(ctx, modules) {
    const result = nothing();
    for (const path of configs(ctx.guest.files)) {
      const omitted = /^\s*omit_drivers\+?=\s*"([^"]*)"/gm;
      for (const m of (fileText(ctx.guest.files, path) ?? '').matchAll(omitted)) {
        const hit = m[1].split(/\s+/).filter((d) => modules.includes(d));
        if (hit.length)
          result.findings.push({
            code: 'initramfs-omits-virtio',
            severity: 'critical',
            message: `${path} omits ${hit.join(', ')} from every initramfs: remove that before migrating`,
          });
      }
    }
    const before = fileText(ctx.guest.files, DROP_IN);
    const after =
      "# added by h2k: drivers for KVM's virtio disks and NICs, whatever host-only mode detects\n" +
      `add_drivers+=" ${modules.join(' ')} "\n`;
    if (modules.length === 0 || before === after) return result;
    result.edits.push(...rewrite(DROP_IN, before, after, 'every initramfs dracut builds carries the virtio drivers'));
    for (const k of ctx.guest.kernels) {
      if (!k.initrd) continue;
      result.edits.push({
        kind: 'run',
        command: ['dracut', '--force', '--reproducible', k.initrd, k.version],
        reason: `rebuild ${k.initrd} with ${modules.join(', ')}`,
      });
    }
    return result;
  },
};
