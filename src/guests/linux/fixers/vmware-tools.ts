// VMware Tools have nothing to talk to on KVM: mask their services (reversible, no package removal).
import { type FixContext, type FixResult, nothing } from '../modules.js';

export function fixVmwareTools(ctx: FixContext): FixResult {
  const result = nothing();
  const { guest, policy } = ctx;
  if (!guest.vmware_tools.installed) return result;
  if (!policy.remove_vmware_tools) {
    result.findings.push({
      code: 'vmware-tools-kept',
      severity: 'info',
      message: 'VMware Tools stay enabled (policy remove_vmware_tools = false); their services will fail on KVM',
    });
    return result;
  }
  for (const unit of guest.vmware_tools.units) {
    const wants = `/etc/systemd/system/multi-user.target.wants/${unit}`;
    const before = guest.files[wants];
    if (before) result.edits.push({ kind: 'delete', path: wants, before, reason: `stop starting ${unit} at boot` });
    result.edits.push({
      kind: 'symlink',
      path: `/etc/systemd/system/${unit}`,
      target: '/dev/null',
      reason: `mask ${unit} so nothing starts it`,
    });
  }
  return result;
}
