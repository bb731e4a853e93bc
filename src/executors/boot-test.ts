// Boots an image through its own bootloader on virtio (q35, virtio-blk, virtio-net with user
// networking) from a throwaway overlay, so the image itself stays byte-identical, and decides from
// the outside whether it works:
//   - the guest reached its running state (its family's console evidence: systemd's default target),
//   - the root filesystem was mounted read-write (the guest wrote to its disk: the overlay gained data),
//   - the NIC got a DHCP lease (a DHCPACK for its MAC in a capture of its traffic).
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { guestfsEnv } from '../tools/guestfs-backend.js';
import { findOvmf, findTool } from '../tools/locate.js';
import { qemuImg } from '../tools/qemu-img.js';
import type { HardwareFacts } from '../model/facts.js';
import type { BootEvidence } from '../guests/family.js';
import { dhcpAcks } from './dhcp-pcap.js';

export interface BootVerdict {
  passed: boolean;
  seconds: number;
  checks: { systemd_target: boolean; root_written: boolean; dhcp_lease: boolean };
  lease?: string;
  failure?: string;
  serialLog: string;
  accel: string;
}

/** KVM where it works; this machine's libguestfs probe tells whether KVM hangs here. */
export async function chooseAccel(): Promise<string> {
  if (process.env.H2K_ACCEL) return process.env.H2K_ACCEL;
  if (!existsSync('/dev/kvm')) return 'tcg';
  try {
    const { env } = await guestfsEnv();
    return env.LIBGUESTFS_BACKEND_SETTINGS?.includes('force_tcg') ? 'tcg' : 'kvm';
  } catch {
    return 'tcg';
  }
}

/** `images`: every disk of the VM, boot disk first; `evidence`: what the guest's family prints. */
export async function bootTest(opts: {
  images: string[];
  format: string;
  hw: HardwareFacts;
  evidence: BootEvidence;
  timeoutSec: number;
  workDir: string;
}): Promise<BootVerdict> {
  const qemu = findTool('qemu-system-x86_64');
  if (!qemu) throw new Error('qemu-system-x86_64 not found: install qemu-system-x86 (npm run setup)');
  mkdirSync(opts.workDir, { recursive: true });
  const overlays = opts.images.map((_, i) => join(opts.workDir, `boot-overlay${i === 0 ? '' : `-disk${i}`}.qcow2`));
  const overlay = overlays[0];
  const serialLog = join(opts.workDir, 'boot-serial.log');
  const pcap = join(opts.workDir, 'boot-net.pcap');
  for (const f of [...overlays, serialLog, pcap]) rmSync(f, { force: true });
  for (const [i, o] of overlays.entries())
    await qemuImg(['create', '-q', '-f', 'qcow2', '-F', opts.format, '-b', opts.images[i], o]);
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
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let exited = false;
  child.on('exit', () => (exited = true));
  const checks = { systemd_target: false, root_written: false, dhcp_lease: false };
  let failure: string | undefined;
  let lease: string | undefined;
  try {
    while (Date.now() - started < opts.timeoutSec * 1000) {
      await new Promise((r) => setTimeout(r, 1000));
      const serial = existsSync(serialLog) ? readFileSync(serialLog, 'latin1') : '';
      const bad = opts.evidence.failures.find(([re]) => re.test(serial));
      if (bad) {
        failure = bad[1];
        break;
      }
      checks.systemd_target ||= opts.evidence.target.test(serial);
      if (!checks.dhcp_lease && existsSync(pcap)) {
        const ack = dhcpAcks(readFileSync(pcap)).find((a) => a.mac === mac.toLowerCase());
        if (ack) {
          checks.dhcp_lease = true;
          lease = ack.ip;
        }
      }
      if (!checks.root_written && checks.systemd_target) checks.root_written = await overlayHasData(overlay);
      if (checks.systemd_target && checks.dhcp_lease && checks.root_written) break;
      if (exited) {
        failure = `qemu exited early: ${stderr.trim().split('\n').pop() ?? ''}`;
        break;
      }
    }
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => (exited ? r(undefined) : child.once('exit', r)));
    for (const o of overlays) rmSync(o, { force: true });
  }
  const passed = !failure && checks.systemd_target && checks.root_written && checks.dhcp_lease;
  if (!passed && !failure) {
    const missing = Object.entries(checks)
      .filter(([, ok]) => !ok)
      .map(([k]) => k.replace('_', ' '));
    failure = `timed out after ${opts.timeoutSec} s without: ${missing.join(', ')}`;
  }
  writeFileSync(
    join(opts.workDir, 'boot-verdict.json'),
    `${JSON.stringify({ passed, checks, lease, failure, accel }, null, 2)}\n`,
  );
  return {
    passed,
    seconds: (Date.now() - started) / 1000,
    checks,
    ...(lease ? { lease } : {}),
    ...(failure ? { failure } : {}),
    serialLog,
    accel,
  };
}

async function overlayHasData(overlay: string): Promise<boolean> {
  const r = await qemuImg(['map', '-U', '--output=json', overlay], { reject: false });
  if (r.exitCode !== 0) return false;
  const extents = JSON.parse(r.stdout) as { depth: number; data: boolean }[];
  return extents.some((e) => e.depth === 0 && e.data);
}
