// The initramfs must carry the virtio drivers, or the kernel cannot find its root disk on KVM.
// One builder per initramfs tool; initramfs-tools is implemented, others report a finding.
import type { FixContext, FixResult } from '../fixers/context.js';
import { nothing, rewrite } from '../fixers/context.js';

type Builder = (ctx: FixContext, modules: string[], result: FixResult) => void;

const initramfsTools: Builder = (ctx, modules, result) => {
  const path = '/etc/initramfs-tools/modules';
  const before = ctx.guest.files[path] ?? '';
  const listed = new Set(
    before
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0])
      .filter((m) => m && !m.startsWith('#')),
  );
  const missing = modules.filter((m) => !listed.has(m));
  if (missing.length === 0) return;
  const sep = before === '' || before.endsWith('\n') ? '' : '\n';
  const after = `${before}${sep}# added by h2k: drivers for KVM's virtio disks and NICs\n${missing.map((m) => `${m}\n`).join('')}`;
  result.edits.push(...rewrite(path, before, after, 'the initramfs must load virtio drivers to find / on KVM'));
  result.edits.push({
    kind: 'run',
    command: ['update-initramfs', '-u', '-k', 'all'],
    reason: `rebuild every initramfs with ${missing.join(', ')}`,
  });
};

const BUILDERS: Record<string, Builder | undefined> = { 'initramfs-tools': initramfsTools };

export function fixInitramfs(ctx: FixContext): FixResult {
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
    result.findings.push({
      code: 'no-virtio-kernel',
      severity: 'critical',
      message: `no installed kernel has virtio_blk and virtio_pci (${kernels.map((k) => k.version).join(', ')}): install one before migrating`,
    });
    return result;
  }
  const newest = usable[usable.length - 1];
  // Built-in drivers need no initramfs entry; missing ones cannot be added.
  const modules = policy.initramfs_drivers.filter(
    (m) => newest.virtio[m] !== 'builtin' && newest.virtio[m] !== 'missing',
  );
  const builder = BUILDERS[guest.initramfsTool];
  if (!builder) {
    result.findings.push({
      code: 'initramfs-tool-unsupported',
      severity: 'critical',
      message: `initramfs tool "${guest.initramfsTool}" is not supported yet: virtio drivers cannot be added`,
    });
    return result;
  }
  builder(ctx, modules, result);
  const boot = guest.space['/boot'] ?? guest.space['/'];
  const needed = guest.kernels.reduce((n, k) => n + (k.initrdBytes ?? 0), 0);
  if (boot && needed > 0 && boot.freeBytes < needed * 1.5)
    result.findings.push({
      code: 'boot-space',
      severity: 'critical',
      message: `rebuilding the initramfs needs about ${Math.ceil((needed * 1.5) / 2 ** 20)} MiB free on /boot; only ${Math.floor(boot.freeBytes / 2 ** 20)} MiB are`,
    });
  return result;
}
