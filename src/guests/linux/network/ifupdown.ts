// Un-pin the network from VMware: NIC names and MAC-matching rules made for vmxnet3 hardware keep
// the KVM NIC unconfigured. For ifupdown, "allow-hotplug ens192" / "auto ens192" become
// "auto /e*/1=ens192": an interfaces(5) pattern for the first Ethernet NIC, whatever KVM names it,
// configured by the existing logical "ens192" stanza. It must be an auto line: udev's hotplug hook
// asks `ifquery --allow hotplug -l <kernel name>`, which patterns never match, while networking.service
// runs `ifup -a`, which expands them. MAC-pinning .link files and persistent-net rules for VMware MACs
// are removed.
import type { FixContext, FixResult } from '../fixers/context.js';
import { nothing, rewrite } from '../fixers/context.js';

const VMWARE_MAC = /\b(00:50:56|00:0c:29|00:05:69|00:1c:14):[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}\b/i;
const PHYSICAL = /^(en|eth)[a-z0-9]*$/;

function unpinInterfaces(path: string, text: string, order: Map<string, number>): string {
  return text
    .split('\n')
    .map((line) => {
      const m = /^(\s*)(auto|allow-auto|allow-hotplug)(\s+)(.*)$/.exec(line);
      if (!m) return line;
      const names = m[4].trim().split(/\s+/);
      if (!names.some((n) => PHYSICAL.test(n))) return line;
      const mapped = names.map((n) => {
        if (!PHYSICAL.test(n)) return n;
        if (!order.has(n)) order.set(n, order.size + 1);
        return `/e*/${order.get(n)}=${n}`;
      });
      return `${m[1]}auto${m[3]}${mapped.join(' ')}`;
    })
    .join('\n');
}

export function fixNetwork(ctx: FixContext): FixResult {
  const result = nothing();
  const { guest, policy } = ctx;
  if (policy.network === 'keep') return result;
  const files = guest.files;
  for (const path of Object.keys(files).sort()) {
    const text = files[path];
    if (text.startsWith('-> ')) continue;
    const isLink = path.startsWith('/etc/systemd/network/') && path.endsWith('.link');
    if (
      (isLink && /^\s*MACAddress\s*=/m.test(text) && VMWARE_MAC.test(text)) ||
      (path.endsWith('70-persistent-net.rules') && VMWARE_MAC.test(text))
    )
      result.edits.push({ kind: 'delete', path, before: text, reason: 'it pins the NIC name to a VMware MAC address' });
  }
  if (guest.network.backend === 'ifupdown') {
    const order = new Map<string, number>();
    for (const path of Object.keys(files)
      .filter((p) => p === '/etc/network/interfaces' || p.startsWith('/etc/network/interfaces.d/'))
      .sort()) {
      result.edits.push(
        ...rewrite(
          path,
          files[path],
          unpinInterfaces(path, files[path], order),
          'bring up the first Ethernet NIC whatever KVM names it',
        ),
      );
    }
  } else if (guest.network.backend !== 'none') {
    result.findings.push({
      code: 'network-backend-unsupported',
      severity: 'warning',
      message: `network backend ${guest.network.backend} is left as it is: check its interface names after migration`,
    });
  }
  return result;
}
