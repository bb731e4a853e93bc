// Boots an image through its own bootloader on virtio (q35, virtio-blk, virtio-net with user
// networking) and decides from evidence whether it works. Everything happens on throwaway overlays:
// a preparation layer (the family's probe, and the kernel console on the serial port, since real
// guests print nothing there), then an empty layer the guest boots on; the image stays
// byte-identical. The verdict needs all of:
//   - default target: the probe found the guest's default systemd target active,
//   - root read-write: the probe found / mounted rw, and the guest wrote to its disk (the boot layer
//     gained data),
//   - fstab mounted: every fstab entry that is not noauto/nofail/swap is mounted (probe),
//   - network, as the guest's own configuration intends it (the plan's `network`): each static
//     address configured and the source of packets in the NIC's traffic; a DHCP lease for an address
//     the probe found when an interface is DHCP. With nothing known of the guest's intent, any
//     configured address leased or in use. The NIC's MAC does not matter: guests may set their own
//     (hwaddress, cloned MACs).
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BootEvidence } from '../guests/family.js';
import { type ProbeReport, parseProbe } from '../model/boot-probe.js';
import type { HardwareFacts } from '../model/facts.js';
import { type NicIntent, staticAddresses } from '../model/guest-network.js';
import { hostAccel } from '../tools/guestfs-backend.js';
import { findOvmf, findTool } from '../tools/locate.js';
import { qemuImg } from '../tools/qemu-img.js';
import { dhcpAcks, sourceAddresses } from './net-capture.js';
import { reaped, reapWithUs } from '../tools/reaper.js';
import { NoSpaceError, fullWatch } from '../util/files.js';

export interface BootChecks {
  default_target: boolean;
  root_read_write: boolean;
  fstab_mounted: boolean;
  network: boolean;
}

export interface BootVerdict {
  passed: boolean;
  seconds: number;
  checks: BootChecks;
  /** The address that proved the network, and how. */
  network?: { ip: string; how: 'DHCP lease' | 'in use' | 'static, in use' };
  failure?: string;
  serialLog: string;
  accel: string;
}

/** KVM where it works (H2K_ACCEL overrides). */
export async function chooseAccel(): Promise<string> {
  return process.env.H2K_ACCEL ?? (await hostAccel());
}

/** What the firmware prints on the serial port when it finds nothing to boot, whatever the guest. */
const FIRMWARE_FAILURES: [RegExp, string][] = [
  [/No bootable option or device was found|UEFI Interactive Shell|Shell> /, 'the UEFI firmware found nothing to boot'],
  [/Boot failed: not a bootable disk|No bootable device/, 'the BIOS found nothing to boot'],
];

const CHECK_NAMES: Record<keyof BootChecks, string> = {
  default_target: 'default target',
  root_read_write: 'root read-write',
  fstab_mounted: 'fstab mounted',
  network: 'network',
};

/** PURE: the checks from the probe's report and the capture, against the guest's intended network. */
export function judge(
  probe: ProbeReport,
  capture: { acks: { ip: string }[]; sources: Set<string> },
  rootWritten: boolean,
  intended: NicIntent[] = [],
): { checks: BootChecks; network?: BootVerdict['network']; detail: string[] } {
  const detail: string[] = [];
  const configured = new Set(probe.addrs.map((a) => a.ip));
  const lease = probe.addrs.find((a) => capture.acks.some((k) => k.ip === a.ip));
  const wanted = staticAddresses(intended);
  const wantsDhcp = intended.some((n) => n.method === 'dhcp');
  let network: BootVerdict['network'];
  if (wanted.length || wantsDhcp) {
    const missing = [
      ...wanted.flatMap((ip) =>
        !configured.has(ip)
          ? [`static address ${ip} not configured`]
          : !capture.sources.has(ip)
            ? [`static address ${ip} configured but no traffic from it`]
            : [],
      ),
      ...(wantsDhcp && !lease ? ['no DHCP lease for an interface configured by DHCP'] : []),
    ];
    detail.push(...missing);
    if (missing.length === 0)
      network = wanted.length ? { ip: wanted.join(', '), how: 'static, in use' } : { ip: lease!.ip, how: 'DHCP lease' };
  } else {
    const used = probe.addrs.find((a) => capture.sources.has(a.ip));
    network = lease ? { ip: lease.ip, how: 'DHCP lease' } : used ? { ip: used.ip, how: 'in use' } : undefined;
    if (probe.ended && probe.addrs.length === 0) detail.push('no IPv4 address configured');
    else if (probe.ended && !network) detail.push(`no traffic from ${probe.addrs.map((a) => a.ip).join(', ')}`);
  }
  if (probe.target && probe.target.state !== 'active')
    detail.unshift(`${probe.target.name} is ${probe.target.state || 'not active'}`);
  if (probe.root && probe.root !== 'rw') detail.unshift(`/ is mounted ${probe.root}`);
  if (probe.fstabMissing?.length) detail.unshift(`not mounted: ${probe.fstabMissing.join(', ')}`);
  return {
    checks: {
      default_target: probe.target?.state === 'active',
      root_read_write: probe.root === 'rw' && rootWritten,
      fstab_mounted: probe.fstabMissing !== undefined && probe.fstabMissing.length === 0,
      network: network !== undefined,
    },
    ...(network ? { network } : {}),
    detail,
  };
}

/** `images`: every disk of the VM, boot disk first; `evidence`: what the guest's family prints;
 *  `prepare`: readies the preparation layers (one per disk) before the boot. */
export async function bootTest(opts: {
  images: string[];
  format: string;
  hw: HardwareFacts;
  evidence: BootEvidence;
  prepare: (layers: string[]) => Promise<void>;
  /** The network the guest's configuration intends (the plan's `network`). */
  network?: NicIntent[];
  timeoutSec: number;
  workDir: string;
}): Promise<BootVerdict> {
  const qemu = findTool('qemu-system-x86_64');
  if (!qemu) throw new Error('qemu-system-x86_64 not found: install qemu-system-x86 (npm run setup)');
  mkdirSync(opts.workDir, { recursive: true });
  const named = (base: string) => opts.images.map((_, i) => join(opts.workDir, `${base}${i ? `-disk${i}` : ''}.qcow2`));
  const prepared = named('boot-prepared');
  const overlays = named('boot-overlay');
  const serialLog = join(opts.workDir, 'boot-serial.log');
  const pcap = join(opts.workDir, 'boot-net.pcap');
  for (const f of [...prepared, ...overlays, serialLog, pcap]) rmSync(f, { force: true });
  for (const [i, p] of prepared.entries())
    await qemuImg(['create', '-q', '-f', 'qcow2', '-F', opts.format, '-b', opts.images[i], p]);
  await opts.prepare(prepared);
  for (const [i, o] of overlays.entries())
    await qemuImg(['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', prepared[i], o]);
  const accel = await chooseAccel();
  const mac = opts.hw.nics[0]?.mac ?? '52:54:00:12:34:56';
  const args = [
    '-machine',
    `q35,accel=${accel}`,
    '-m',
    String(opts.hw.memory_mib),
    '-smp',
    String(opts.hw.cpus),
    '-display',
    'none',
    '-no-reboot',
    '-monitor',
    'none',
    '-serial',
    `file:${serialLog}`,
    ...overlays.flatMap((o, i) => [
      '-drive',
      `file=${o},if=none,id=d${i},format=qcow2,discard=unmap`,
      '-device',
      `virtio-blk-pci,drive=d${i}${i === 0 ? ',bootindex=0' : ''}`,
    ]),
    '-netdev',
    'user,id=n0',
    '-device',
    `virtio-net-pci,netdev=n0,mac=${mac}`,
    '-object',
    `filter-dump,id=f0,netdev=n0,file=${pcap}`,
  ];
  if (accel === 'kvm') args.push('-cpu', 'host');
  if (opts.hw.firmware === 'uefi') {
    const ovmf = findOvmf();
    if (!ovmf) throw new Error('UEFI guest but no OVMF firmware: install ovmf (npm run setup)');
    // A fresh variable store: the VMware NVRAM and its boot entries do not come along.
    const vars = join(opts.workDir, 'OVMF_VARS.fd');
    copyFileSync(ovmf.vars, vars);
    args.push(
      '-drive',
      `if=pflash,format=raw,readonly=on,file=${ovmf.code}`,
      '-drive',
      `if=pflash,format=raw,file=${vars}`,
    );
  }
  const started = Date.now();
  const child = spawn(qemu, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  reapWithUs(child.pid);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let exited = false;
  child.on('exit', () => {
    exited = true;
    reaped(child.pid);
  });
  let failure: string | undefined;
  let verdict: ReturnType<typeof judge> | undefined;
  // A full filesystem pauses the VM (qemu's default): that is no boot failure, and no reason to
  // wait out the timeout. Full on two checks in a row, the stage fails with ENOSPC instead.
  const full = fullWatch([dirname(overlays[0])]);
  try {
    while (Date.now() - started < opts.timeoutSec * 1000) {
      await new Promise((r) => setTimeout(r, 1000));
      const dir = full();
      if (dir) throw new NoSpaceError(dir);
      const serial = existsSync(serialLog) ? readFileSync(serialLog, 'latin1') : '';
      const bad = [...FIRMWARE_FAILURES, ...opts.evidence.failures].find(([re]) => re.test(serial));
      if (bad) {
        failure = bad[1];
        break;
      }
      const probe = parseProbe(serial);
      if (probe.ended) {
        // Give the capture a moment to hold the probe's own traffic.
        await new Promise((r) => setTimeout(r, 1000));
        verdict = judge(probe, capture(pcap), await overlayHasData(overlays[0]), opts.network);
        break;
      }
      if (exited) {
        failure = `qemu exited early: ${stderr.trim().split('\n').pop() ?? ''}`;
        break;
      }
    }
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => (exited ? r(undefined) : child.once('exit', r)));
    for (const o of [...overlays, ...prepared]) rmSync(o, { force: true });
  }
  const checks = verdict?.checks ?? {
    default_target: false,
    root_read_write: false,
    fstab_mounted: false,
    network: false,
  };
  const passed = !failure && Object.values(checks).every(Boolean);
  if (!passed && !failure) {
    const missing = (Object.keys(checks) as (keyof BootChecks)[]).filter((k) => !checks[k]).map((k) => CHECK_NAMES[k]);
    failure = verdict
      ? `no evidence of: ${missing.join(', ')}${verdict.detail.length ? ` (${verdict.detail.join('; ')})` : ''}`
      : `timed out after ${opts.timeoutSec} s without: ${missing.join(', ')} (the guest's probe never reported)`;
  }
  const network = verdict?.network;
  writeFileSync(
    join(opts.workDir, 'boot-verdict.json'),
    `${JSON.stringify({ passed, checks, network, failure, accel }, null, 2)}\n`,
  );
  const seconds = (Date.now() - started) / 1000;
  return {
    passed,
    seconds,
    checks,
    ...(network ? { network } : {}),
    ...(failure ? { failure } : {}),
    serialLog,
    accel,
  };
}

function capture(pcap: string): { acks: { ip: string }[]; sources: Set<string> } {
  if (!existsSync(pcap)) return { acks: [], sources: new Set() };
  const bytes = readFileSync(pcap);
  return { acks: dhcpAcks(bytes), sources: sourceAddresses(bytes) };
}

async function overlayHasData(overlay: string): Promise<boolean> {
  const r = await qemuImg(['map', '-U', '--output=json', overlay], { reject: false });
  if (r.exitCode !== 0) return false;
  const extents = JSON.parse(r.stdout) as { depth: number; data: boolean }[];
  return extents.some((e) => e.depth === 0 && e.data);
}
