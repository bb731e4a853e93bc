// The libvirt domain for a converted VM: q35, virtio disks (in the VM's disk order) and NICs,
// firmware per facts. PURE.
import type { DomainHints } from '../guests/family.js';
import type { HardwareFacts } from '../model/facts.js';

const HYPERV_CLOCK = '\n    <timer name="hypervclock" present="yes"/>\n  ';
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function domainXml(opts: {
  name: string;
  disks: string[];
  format: string;
  hw: HardwareFacts;
  hints?: DomainHints;
}): string {
  const { hw } = opts;
  const hyperv = opts.hints?.hyperv
    ? '\n    <hyperv>\n      <relaxed state="on"/>\n      <vapic state="on"/>\n' +
      '      <spinlocks state="on" retries="8191"/>\n    </hyperv>'
    : '';
  const clock =
    opts.hints?.clock === 'localtime'
      ? `<clock offset="localtime">${opts.hints.hyperv ? HYPERV_CLOCK : ''}</clock>`
      : '<clock offset="utc"/>';
  const disks = opts.disks
    .map(
      (d, i) => `    <disk type="file" device="disk">
      <driver name="qemu" type="${esc(opts.format)}" discard="unmap"/>
      <source file="${esc(d)}"/>
      <target dev="vd${String.fromCharCode(97 + i)}" bus="virtio"/>
    </disk>`,
    )
    .join('\n');
  const nics = hw.nics
    .map(
      (n) => `    <interface type="network">
      <source network="${esc(n.network ?? 'default')}"/>
      <mac address="${esc(n.mac)}"/>
      <model type="${esc(n.model)}"/>
    </interface>`,
    )
    .join('\n');
  return `<domain type="kvm">
  <name>${esc(opts.name)}</name>
  <memory unit="MiB">${hw.memory_mib}</memory>
  <vcpu>${hw.cpus}</vcpu>
  <os${hw.firmware === 'uefi' ? ' firmware="efi"' : ''}>
    <type arch="x86_64" machine="q35">hvm</type>
    <boot dev="hd"/>
  </os>
  <features>
    <acpi/>
    <apic/>${hyperv}
  </features>
  <cpu mode="host-model"/>
  ${clock}
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
${disks}
${nics}
    <serial type="pty">
      <target port="0"/>
    </serial>
    <console type="pty">
      <target type="serial" port="0"/>
    </console>
    <rng model="virtio">
      <backend model="random">/dev/urandom</backend>
    </rng>
  </devices>
</domain>
`;
}
