// The network must come up on KVM's NIC as the guest's own configuration intends it. NIC-name pins
// to VMware MACs are removed whatever the backend; rebinding each configuration to the KVM NIC and
// keeping its addressing is the job of the backend's module. policy network: "preserve" (static
// stays static, DHCP stays DHCP), "dhcp" (every interface by DHCP), "keep" (no change at all).
import { fileText } from '../../../model/guest-facts.js';
import { VMWARE_MAC } from '../../../model/guest-network.js';
import type { FixContext, FixResult, NetworkModule } from '../modules.js';
import { nothing } from '../modules.js';
import { ifcfgFiles, planIfcfg, readIfcfg } from './ifcfg.js';
import { ifupdown } from './ifupdown.js';
import { netplan } from './netplan.js';
import { networkd } from './networkd.js';
import { networkManager } from './networkmanager.js';
import { wicked } from './wicked.js';

/** In detection order: a guest with netplan also has networkd or NetworkManager as its renderer. */
export const NETWORK_BACKENDS: NetworkModule[] = [
  ifupdown,
  netplan,
  networkManager,
  {
    name: 'network-scripts',
    detect: async (p) => ifcfgFiles(p.files).length > 0,
    read: readIfcfg,
    plan: (ctx) => planIfcfg(ctx, new Map()),
  },
  networkd,
  wicked,
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
  const backend = ctx.guest.network.backend;
  const module = NETWORK_BACKENDS.find((m) => m.name === backend);
  if (ctx.policy.network === 'keep') return { ...nothing(), network: module?.read?.(ctx.guest.files) };
  const result = unpinNics(ctx);
  if (backend === 'none') return result;
  if (module?.plan) {
    const planned = module.plan(ctx);
    result.edits.push(...planned.edits);
    result.findings.push(...planned.findings);
    result.network = planned.network;
    if (planned.network?.length === 0)
      result.findings.push({
        code: 'network-unconfigured',
        severity: 'warning',
        message: `${backend} configures no Ethernet interface: the guest may have no network on KVM`,
      });
  } else {
    result.findings.push({
      code: 'network-backend-unsupported',
      severity: 'warning',
      message: `network backend ${backend} is left as it is: check its interface names after migration`,
    });
  }
  return result;
}
