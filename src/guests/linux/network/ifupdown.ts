// Un-pin the network from VMware: NIC names and MAC-matching rules made for vmxnet3 hardware keep
// the KVM NIC unconfigured. For ifupdown, "allow-hotplug ens192" / "auto ens192" become
// "auto /e*/1=ens192": an interfaces(5) pattern for the first Ethernet NIC, whatever KVM names it,
// configured by the existing logical "ens192" stanza. It must be an auto line: udev's hotplug hook
// asks `ifquery --allow hotplug -l <kernel name>`, which patterns never match, while networking.service
// runs `ifup -a`, which expands them. MAC-pinning .link files and persistent-net rules for VMware MACs
// are removed (see index.ts). A `hwaddress` line makes the KVM NIC take the VMware VM's MAC: kept
// when the policy preserves MACs, removed when it regenerates them, and a finding either way.
import { fileText } from '../../../model/guest-facts.js';
import { type NetworkModule, nothing, rewrite } from '../modules.js';

const PHYSICAL = /^(en|eth)[a-z0-9]*$/;

function unpinInterfaces(text: string, order: Map<string, number>): string {
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

const HWADDRESS = /^\s*hwaddress\s+(?:ether\s+)?([0-9a-f]{2}(?::[0-9a-f]{2}){5})\s*$/i;

/** The `hwaddress` lines of an interfaces file: their MACs, and the text without them. */
function hwaddressPins(text: string): { macs: string[]; without: string } {
  const macs: string[] = [];
  const kept = text.split('\n').filter((line) => {
    const m = HWADDRESS.exec(line);
    if (m) macs.push(m[1].toLowerCase());
    return !m;
  });
  return { macs, without: kept.join('\n') };
}

const isInterfacesFile = (p: string) => p === '/etc/network/interfaces' || p.startsWith('/etc/network/interfaces.d/');

export const ifupdown: NetworkModule = {
  name: 'ifupdown',
  detect: async (p) => p.files['/etc/network/interfaces']?.kind === 'file' && (await p.exists('/sbin/ifup')),
  plan(ctx) {
    const result = nothing();
    const order = new Map<string, number>();
    for (const path of Object.keys(ctx.guest.files).filter(isInterfacesFile).sort()) {
      const text = fileText(ctx.guest.files, path);
      if (text === undefined) continue;
      const pins = hwaddressPins(text);
      const regenerate = ctx.policy.mac === 'regenerate';
      const after = unpinInterfaces(regenerate ? pins.without : text, order);
      const reason = regenerate
        ? "bring up the first Ethernet NIC whatever KVM names it, with KVM's MAC"
        : 'bring up the first Ethernet NIC whatever KVM names it';
      result.edits.push(...rewrite(path, text, after, reason));
      for (const mac of pins.macs)
        result.findings.push(
          regenerate
            ? {
                code: 'guest-mac-pin-removed',
                severity: 'info',
                message: `${path} set the NIC's MAC to ${mac} (hwaddress); removed, so the guest uses its KVM MAC`,
              }
            : {
                code: 'guest-mac-pinned',
                severity: 'warning',
                message:
                  `${path} sets the NIC's MAC to ${mac} (hwaddress), kept because the policy preserves MACs: if ` +
                  'the VMware VM runs again on the same network, two machines share one MAC',
              },
        );
    }
    return result;
  },
};
