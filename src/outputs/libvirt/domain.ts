// The libvirt domain of a converted VM, as a value and as XML. PURE. One renderer for the domain
// h2k ships (index.ts) and for the transient copy VALIDATE boots (transient.ts), so the two differ
// only where the copy says so.
//
// What a KVM guest needs, as virt-v2v writes it: q35, virtio disks (in the VM's disk order) and NICs,
// a video device and a VNC console (without a display device SeaBIOS and OVMF hang before the kernel
// under libvirt), a serial console, virtio rng, a memory balloon, the guest agent's channel,
// host-model CPU, firmware per facts with fresh variables: Secure Boot with Microsoft's keys enrolled
// where the source had it on (and SMM, which OVMF's Secure Boot builds need), off otherwise (libvirt
// would otherwise pick an enrolled-keys OVMF).
import { diskLetters } from '../../util/disk-letters.js';

export type NicBackend =
  | { type: 'network'; network: string }
  | { type: 'bridge'; bridge: string }
  | { type: 'direct'; dev: string }
  | { type: 'user' };

export interface Domain {
  /** kvm where the host has it; qemu (TCG) otherwise. */
  type: 'kvm' | 'qemu';
  name: string;
  memory_mib: number;
  cpus: number;
  /** host-model for KVM. Under TCG, qemu64: the host's model (EPYC here) made guests use 5-level
   *  paging, slow to emulate, and `-cpu max,la57=off` crashed qemu 7.2's TCG once in a fresh run
   *  (a segfault in a vCPU thread); qemu64 is what every boot test ran on before libvirt. */
  cpu: 'host-model' | 'tcg';
  firmware: 'bios' | 'uefi';
  secureBoot: boolean;
  clock: 'utc' | 'localtime';
  hyperv: boolean;
  disks: { path: string; format: string }[];
  nics: { mac: string; model: string; backend: NicBackend }[];
  /** pty for users (virsh console); a file where a boot test reads it. */
  /** `unix`: a socket to type on (the boot test's passphrases), the console also logged to `log`. */
  serial: { type: 'pty' } | { type: 'file'; path: string } | { type: 'unix'; path: string; log: string };
  /** Where the UEFI variable store is made from the firmware's template (libvirt's default dir if unset). */
  nvram?: string;
  /** Run qemu as this uid:gid without relabelling files (a transient copy on h2k's own files). */
  runAs?: { uid: number; gid: number };
  /** Extra qemu arguments (the boot test's packet capture). */
  qemuArgs?: string[];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const QEMU_NS = 'http://libvirt.org/schemas/domain/qemu/1.0';
const TCG_CPU = '<cpu mode="custom" match="exact">\n    <model fallback="forbid">qemu64</model>\n  </cpu>';

export function domainXml(d: Domain): string {
  const hyperv = d.hyperv
    ? '\n    <hyperv>\n      <relaxed state="on"/>\n      <vapic state="on"/>\n' +
      '      <spinlocks state="on" retries="8191"/>\n    </hyperv>'
    : '';
  const clock =
    d.clock === 'localtime'
      ? `<clock offset="localtime">${d.hyperv ? '\n    <timer name="hypervclock" present="yes"/>\n  ' : ''}</clock>`
      : '<clock offset="utc"/>';
  const sb = d.secureBoot ? 'yes' : 'no';
  const firmware =
    d.firmware === 'uefi'
      ? `\n    <firmware>\n      <feature enabled="${sb}" name="secure-boot"/>\n` +
        `      <feature enabled="${sb}" name="enrolled-keys"/>\n    </firmware>` +
        (d.nvram ? `\n    <nvram>${esc(d.nvram)}</nvram>` : '')
      : '';
  const smm = d.firmware === 'uefi' && d.secureBoot ? '\n    <smm state="on"/>' : '';
  const disks = d.disks.map(
    (disk, i) => `    <disk type="file" device="disk">
      <driver name="qemu" type="${esc(disk.format)}" discard="unmap"/>
      <source file="${esc(disk.path)}"/>
      <target dev="vd${diskLetters(i)}" bus="virtio"/>${i === 0 ? '\n      <boot order="1"/>' : ''}
    </disk>`,
  );
  const nics = d.nics.map((n) => {
    const b = n.backend;
    const source =
      b.type === 'network'
        ? `\n      <source network="${esc(b.network)}"/>`
        : b.type === 'bridge'
          ? `\n      <source bridge="${esc(b.bridge)}"/>`
          : b.type === 'direct'
            ? `\n      <source dev="${esc(b.dev)}" mode="bridge"/>`
            : '';
    return `    <interface type="${n.backend.type}">${source}
      <mac address="${esc(n.mac)}"/>
      <model type="${esc(n.model)}"/>
    </interface>`;
  });
  const serial =
    d.serial.type === 'pty'
      ? '    <serial type="pty">\n      <target port="0"/>\n    </serial>'
      : d.serial.type === 'file'
        ? `    <serial type="file">\n      <source path="${esc(d.serial.path)}"/>\n` +
          '      <target port="0"/>\n    </serial>'
        : `    <serial type="unix">\n      <source mode="bind" path="${esc(d.serial.path)}"/>\n` +
          `      <log file="${esc(d.serial.log)}" append="off"/>\n      <target port="0"/>\n    </serial>`;
  const seclabel = d.runAs
    ? '\n  <seclabel type="static" model="dac" relabel="no">\n' +
      `    <label>+${d.runAs.uid}:+${d.runAs.gid}</label>\n  </seclabel>`
    : '';
  const qemuArgs = d.qemuArgs?.length
    ? `\n  <qemu:commandline>\n${d.qemuArgs.map((a) => `    <qemu:arg value="${esc(a)}"/>`).join('\n')}` +
      '\n  </qemu:commandline>'
    : '';
  return `<domain type="${d.type}"${qemuArgs ? ` xmlns:qemu="${QEMU_NS}"` : ''}>
  <name>${esc(d.name)}</name>
  <memory unit="MiB">${d.memory_mib}</memory>
  <vcpu>${d.cpus}</vcpu>
  <os${d.firmware === 'uefi' ? ' firmware="efi"' : ''}>
    <type arch="x86_64" machine="q35">hvm</type>${firmware}
  </os>
  <features>
    <acpi/>
    <apic/>${hyperv}${smm}
  </features>
  ${d.cpu === 'host-model' ? '<cpu mode="host-model"/>' : TCG_CPU}
  ${clock}
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
${[...disks, ...nics].join('\n')}
${serial}
    <console type="pty">
      <target type="serial" port="0"/>
    </console>
    <channel type="unix">
      <target type="virtio" name="org.qemu.guest_agent.0"/>
    </channel>
    <input type="tablet" bus="usb"/>
    <graphics type="vnc" autoport="yes" listen="127.0.0.1">
      <listen type="address" address="127.0.0.1"/>
    </graphics>
    <video>
      <model type="vga"/>
    </video>
    <memballoon model="virtio"/>
    <rng model="virtio">
      <backend model="random">/dev/urandom</backend>
    </rng>
  </devices>${seclabel}${qemuArgs}
</domain>
`;
}
