// The libvirt output: <vm>.xml, a domain to `virsh define`. VALIDATE boots this same domain
// (transient.ts), so what it checked is what ships.
import { execa } from 'execa';
import { findTool } from '../../tools/locate.js';
import type { NicFacts } from '../../model/facts.js';
import type { KvmOutput, MachineSpec } from '../output.js';
import { type Domain, type NicBackend, domainXml } from './domain.js';

/** Where the policy attaches the NIC (policy `networks`), else the libvirt network named like its
 *  source network, else "default". */
function backendOf(n: NicFacts): NicBackend {
  if (n.attach?.bridge) return { type: 'bridge', bridge: n.attach.bridge };
  if (n.attach?.macvtap) return { type: 'direct', dev: n.attach.macvtap };
  return { type: 'network', network: n.attach?.network ?? n.network ?? 'default' };
}

/** The domain h2k ships for a VM: its disks at their output paths, NICs where the policy attaches them. */
export function shippedDomain(m: MachineSpec): Domain {
  return {
    type: 'kvm',
    name: m.name,
    memory_mib: m.hw.memory_mib,
    cpus: m.hw.cpus,
    cpu: 'host-model',
    firmware: m.hw.firmware,
    secureBoot: m.hw.secure_boot ?? false,
    clock: m.hints?.clock ?? 'utc',
    hyperv: m.hints?.hyperv ?? false,
    disks: m.disks.map((path) => ({ path, format: m.format })),
    nics: m.hw.nics.map((n) => ({
      mac: n.mac,
      model: n.model,
      backend: backendOf(n),
    })),
    serial: { type: 'pty' },
  };
}

export const libvirt: KvmOutput = {
  files: (slug) => [`${slug}.xml`],
  render: (m) => [domainXml(shippedDomain(m))],
  async check([xml]) {
    const validator = findTool('virt-xml-validate');
    if (!validator) return undefined;
    const r = await execa(validator, [xml, 'domain'], { reject: false });
    return r.exitCode === 0
      ? undefined
      : `libvirt's schema rejects ${xml}: ${(r.stderr || r.stdout).trim().split('\n')[0]}`;
  },
};
