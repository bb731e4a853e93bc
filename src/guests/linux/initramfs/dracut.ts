// dracut (the RHEL family, SUSE, some Debian and Ubuntu servers): a drop-in in /etc/dracut.conf.d
// adds the virtio drivers, then every installed kernel's initramfs is rebuilt at the path it has.
// dracut is often host-only, and host-only in the FIX appliance sees the appliance's hardware, not
// the KVM guest's: add_drivers makes the drivers part of the image whatever host-only detects. A
// configuration that omits virtio drivers would defeat it, so that is a critical finding.
//
// SUSE's installer sets persistent_policy="by-id" (YaST's "mount by device ID") and may name devices
// to include by their by-id or by-path names: an image built so waits at boot for names that VMware's
// disks had and KVM's do not. The policy becomes by-uuid, and such names the filesystem's UUID path.
import { fileText } from '../../../model/guest-facts.js';
import { isRadioactive, resolveSpec } from '../device-names.js';
import { type FixContext, type FixResult, type InitramfsModule, nothing, rewrite } from '../modules.js';

export const DROP_IN = '/etc/dracut.conf.d/90-h2k-virtio.conf';

const configs = (files: Record<string, unknown>) =>
  Object.keys(files)
    .filter((p) => p === '/etc/dracut.conf' || (p.startsWith('/etc/dracut.conf.d/') && p !== DROP_IN))
    .sort();

export const dracut: InitramfsModule = {
  name: 'dracut',
  detect: async (p) => (await p.exists('/usr/bin/dracut')) && !(await p.exists('/usr/sbin/update-initramfs')),
  plan(ctx, modules) {
    const result = stableNames(ctx);
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
    const why: string[] = [];
    if (modules.length && before !== after) {
      result.edits.push(...rewrite(DROP_IN, before, after, 'every initramfs dracut builds carries the virtio drivers'));
      why.push(`with ${modules.join(', ')}`);
    }
    if (result.edits.some((e) => e.kind === 'write' && e.path !== DROP_IN)) why.push('naming devices by UUID');
    if (!why.length) return result;
    for (const k of ctx.guest.kernels) {
      if (!k.initrd) continue;
      result.edits.push({
        kind: 'run',
        command: ['dracut', '--force', '--reproducible', k.initrd, k.version],
        reason: `rebuild ${k.initrd} ${why.join(', ')}`,
      });
    }
    return result;
  },
};

const POLICY = /^([ \t]*persistent_policy[ \t]*=[ \t]*)(["']?)by-(id|path)\2[ \t]*$/gm;
const DEVICE_LIST = /^(\s*add_device\s*\+?=\s*)(["'])([^"']*)\2/gm;

/** PURE: dracut configuration naming devices the way the VMware disks were named, made stable. */
function stableNames(ctx: FixContext): FixResult {
  const result = nothing();
  const { filesystems, disk_wwns } = ctx.guest;
  for (const path of configs(ctx.guest.files)) {
    const text = fileText(ctx.guest.files, path) ?? '';
    let after = text.replace(POLICY, (_, head: string, q: string) => `${head}${q}by-uuid${q}`);
    after = after.replace(DEVICE_LIST, (whole, head: string, q: string, list: string) => {
      const names = list.split(/(\s+)/).map((name) => {
        if (!isRadioactive(name)) return name;
        const fs = resolveSpec(name, filesystems, disk_wwns);
        if (fs?.uuid) return `/dev/disk/by-uuid/${fs.uuid}`;
        result.findings.push({
          code: 'unresolved-device',
          severity: 'critical',
          message: `${path} makes dracut include ${name}, unresolved to a filesystem: KVM has no such name`,
        });
        return name;
      });
      return `${head}${q}${names.join('')}${q}`;
    });
    const reason = 'dracut names devices by UUID: the by-id and by-path names of the VMware disks do not exist on KVM';
    result.edits.push(...rewrite(path, text, after, reason));
  }
  return result;
}
