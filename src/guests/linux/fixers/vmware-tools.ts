// VMware Tools have nothing to talk to on KVM: mask their services (reversible, no package removal).
import type { FixContext, FixResult } from './context.js';
import { nothing } from './context.js';

export function fixVmwareTools(ctx: FixContext): FixResult {
  const result = nothing();
  const { guest, policy } = ctx;
  if (!guest.vmwareTools.installed) return result;
  if (!policy.remove_vmware_tools) {
    result.findings.push({
      code: 'vmware-tools-kept',
      severity: 'info',
      message: 'VMware Tools stay enabled (policy remove_vmware_tools = false); their services will fail on KVM',
    });
    return result;
  }
  for (const unit of guest.vmwareTools.units) {
    const wants = `/etc/systemd/system/multi-user.target.wants/${unit}`;
    result.edits.push({
      kind: 'delete',
      path: wants,
      before: guest.files[wants],
      reason: `stop starting ${unit} at boot`,
    });
    result.edits.push({
      kind: 'symlink',
      path: `/etc/systemd/system/${unit}`,
      target: '/dev/null',
      reason: `mask ${unit} so nothing starts it`,
    });
  }
  return result;
}
