// Layouts h2k does not convert yet are findings with stable codes, never silent partial fixes.
import type { RawFinding } from '../../../model/plan.js';
import { fileText } from '../../../model/guest-facts.js';
import { type FixContext, type FixResult, nothing } from '../modules.js';

export function layoutFindings(ctx: FixContext): FixResult {
  const result = nothing();
  const { guest } = ctx;
  const critical = (code: string, message: string): RawFinding => ({ code, severity: 'critical', message });
  if (/^\/dev\/md/.test(guest.root))
    result.findings.push(critical('md-raid-root', `/ is on md RAID (${guest.root}): not converted yet`));
  if (fileText(guest.files, '/etc/multipath.conf') !== undefined)
    result.findings.push({
      code: 'multipath',
      severity: 'warning',
      message: '/etc/multipath.conf exists: multipath device names do not carry over to virtio disks; check it',
    });
  const without = guest.kernels.filter((k) => ['virtio_blk', 'virtio_pci'].some((m) => k.virtio[m] === 'missing'));
  if (without.length && without.length < guest.kernels.length)
    result.findings.push({
      code: 'kernel-without-virtio',
      severity: 'warning',
      message:
        `${without.map((k) => k.version).join(', ')} cannot drive virtio disks: only the other kernels ` +
        'boot on KVM; keep them out of the boot menu',
    });
  return result;
}
