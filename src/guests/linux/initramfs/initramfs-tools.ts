// Debian and Ubuntu's initramfs-tools: the drivers go into /etc/initramfs-tools/modules, then
// every initramfs is rebuilt.
import { fileText } from '../../../model/guest-facts.js';
import { type InitramfsModule, nothing, rewrite } from '../modules.js';

const MODULES_FILE = '/etc/initramfs-tools/modules';

export const initramfsTools: InitramfsModule = {
  name: 'initramfs-tools',
  detect: (p) => p.exists('/usr/sbin/update-initramfs'),
  plan(ctx, modules) {
    const result = nothing();
    const current = fileText(ctx.guest.files, MODULES_FILE);
    const before = current ?? '';
    const listed = new Set(
      before
        .split('\n')
        .map((l) => l.trim().split(/\s+/)[0])
        .filter((m) => m && !m.startsWith('#')),
    );
    const missing = modules.filter((m) => !listed.has(m));
    if (missing.length === 0) return result;
    const sep = before === '' || before.endsWith('\n') ? '' : '\n';
    const added = missing.map((m) => `${m}\n`).join('');
    const after = `${before}${sep}# added by h2k: drivers for KVM's virtio disks and NICs\n${added}`;
    result.edits.push(
      ...rewrite(MODULES_FILE, current, after, 'the initramfs must load virtio drivers to find / on KVM'),
    );
    result.edits.push({
      kind: 'run',
      command: ['update-initramfs', '-u', '-k', 'all'],
      reason: `rebuild every initramfs with ${missing.join(', ')}`,
    });
    return result;
  },
};
