// The libvirt output: <vm>.xml, a domain to `virsh define`. VALIDATE boots this same domain
// (transient.ts), so what it checked is what ships.
import { execa } from 'execa';
import { findTool } from '../../tools/locate.js';
import type { KvmOutput, MachineSpec } from '../output.js';
import { type Domain, domainXml } from './domain.js';

/** The domain h2k ships for a VM: its disks at their output paths, NICs on their libvirt networks. */
export function shippedDomain(m: MachineSpec): Domain {
  return {
    type: 'kvm',
    name: m.name,
    memory_mib: m.hw.memory_mib,
    cpus: m.hw.cpus,
    cpu: 'host-model',
    firmware: m.hw.firmware,
    clock: m.hints?.clock ?? 'utc',
    hyperv: m.hints?.hyperv ?? false,
    disks: m.disks.map((path) => ({ path, format: m.format })),
    nics: m.hw.nics.map((n) => ({
      mac: n.mac,
      model: n.model,
      backend: { type: 'network', network: n.network ?? 'default' },
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
