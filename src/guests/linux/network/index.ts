// The network must come up on KVM's NIC. NIC-name pins to VMware MACs are removed whatever the
// backend; the backend's own configuration is the job of its module.
import { fileText } from '../../../model/guest-facts.js';
import type { FixContext, FixResult, NetworkModule } from '../modules.js';
import { nothing } from '../modules.js';
import { ifupdown } from './ifupdown.js';

const VMWARE_MAC = /\b(00:50:56|00:0c:29|00:05:69|00:1c:14):[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}\b/i;

/** In detection order; the others are recognised, not rewritten yet. */
export const NETWORK_BACKENDS: NetworkModule[] = [
  ifupdown,
  { name: 'netplan', detect: async (p) => Object.keys(p.files).some((f) => f.startsWith('/etc/netplan/')) },
  { name: 'networkmanager', detect: (p) => p.exists('/usr/sbin/NetworkManager') },
  { name: 'systemd-networkd', detect: async (p) => Object.keys(p.files).some((f) => f.endsWith('.network')) },
];

/** MAC-pinning .link files and persistent-net rules for VMware MACs keep the KVM NIC unnamed. */
function unpinNics(ctx: FixContext): FixResult {
  const result = nothing();
  for (const path of Object.keys(ctx.guest.files).sort()) {
    const text = fileText(ctx.guest.files, path);
    if (text === undefined) continue;
    const isLink = path.startsWith('/etc/systemd/network/') && path.endsWith('.link');
    if (
      (isLink && /^\s*MACAddress\s*=/m.test(text) && VMWARE_MAC.test(text)) ||
      (path.endsWith('70-persistent-net.rules') && VMWARE_MAC.test(text))
    ) {
      const reason = 'it pins the NIC name to a VMware MAC address';
      result.edits.push({ kind: 'delete', path, before: { kind: 'file', text }, reason });
    }
  }
  return result;
}

export function planNetwork(ctx: FixContext): FixResult {
  if (ctx.policy.network === 'keep') return nothing();
  const result = unpinNics(ctx);
  const backend = ctx.guest.network.backend;
  if (backend === 'none') return result;
  const module = NETWORK_BACKENDS.find((m) => m.name === backend);
  if (module?.plan) {
    const planned = module.plan(ctx);
    result.edits.push(...planned.edits);
    result.findings.push(...planned.findings);
  } else {
    result.findings.push({
      code: 'network-backend-unsupported',
      severity: 'warning',
      message: `network backend ${backend} is left as it is: check its interface names after migration`,
    });
  }
  return result;
}
