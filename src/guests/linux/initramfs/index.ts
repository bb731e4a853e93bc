// The initramfs must carry the virtio drivers, or the kernel cannot find its root disk on KVM. The
// kernel checks are common; adding the drivers is the job of the guest's initramfs tool module.
import type { FixContext, FixResult, InitramfsModule } from '../modules.js';
import { nothing } from '../modules.js';
import { dracut } from './dracut.js';
import { initramfsTools } from './initramfs-tools.js';

const recognised = (name: string, probe: string): InitramfsModule => ({
  name,
  detect: (p) => p.exists(probe),
});

/** In detection order; mkinitcpio is recognised, not fixed yet. */
export const INITRAMFS_TOOLS: InitramfsModule[] = [
  initramfsTools,
  dracut,
  recognised('mkinitcpio', '/usr/bin/mkinitcpio'),
];

export function planInitramfs(ctx: FixContext): FixResult {
  const result = nothing();
  const { guest, policy } = ctx;
  const kernels = guest.kernels;
  if (kernels.length === 0) {
    result.findings.push({
      code: 'no-kernel',
      severity: 'critical',
      message: 'no kernel modules found under /lib/modules: the guest cannot boot',
    });
    return result;
  }
  const usable = kernels.filter((k) => ['virtio_blk', 'virtio_pci'].every((m) => k.virtio[m] !== 'missing'));
  if (usable.length === 0) {
    const versions = kernels.map((k) => k.version).join(', ');
    result.findings.push({
      code: 'no-virtio-kernel',
      severity: 'critical',
      message: `no installed kernel has virtio_blk and virtio_pci (${versions}): install one before migrating`,
    });
    return result;
  }
  const newest = usable[usable.length - 1];
  // Built-in drivers need no initramfs entry; missing ones cannot be added.
  const modules = policy.initramfs_drivers.filter(
    (m) => newest.virtio[m] !== 'builtin' && newest.virtio[m] !== 'missing',
  );
  // An initramfs that already carries the drivers (initramfs-tools' MODULES=most, a generic dracut
  // image) boots on KVM as it is: udev in it loads them. Rebuilding would only cost time.
  const carried = kernels.every((k) => !k.initrd || modules.every((m) => k.initrd_virtio?.includes(m)));
  if (modules.length && carried && kernels.some((k) => k.initrd)) {
    result.findings.push({
      code: 'initramfs-has-virtio',
      severity: 'info',
      message: `every initramfs already holds ${modules.join(', ')}: none is rebuilt`,
    });
    return result;
  }
  const tool = INITRAMFS_TOOLS.find((t) => t.name === guest.initramfs_tool);
  if (!tool?.plan) {
    result.findings.push({
      code: 'initramfs-tool-unsupported',
      severity: 'critical',
      message: `initramfs tool "${guest.initramfs_tool}" is not supported yet: virtio drivers cannot be added`,
    });
    return result;
  }
  const planned = tool.plan(ctx, modules);
  result.edits.push(...planned.edits);
  result.findings.push(...planned.findings);
  const boot = guest.space['/boot'] ?? guest.space['/'];
  const needed = guest.kernels.reduce((n, k) => n + (k.initrd_bytes ?? 0), 0);
  if (boot && needed > 0 && boot.free_bytes < needed * 1.5) {
    const want = Math.ceil((needed * 1.5) / 2 ** 20);
    result.findings.push({
      code: 'boot-space',
      severity: 'critical',
      message:
        `rebuilding the initramfs needs about ${want} MiB free on /boot; only ` +
        `${Math.floor(boot.free_bytes / 2 ** 20)} MiB are`,
    });
  }
  return result;
}
