// Boots a VM's images through their own bootloader as the libvirt domain h2k ships for them (q35,
// virtio disks, every NIC, on user networking) and decides from evidence whether it works.
// Everything happens on throwaway overlays: a preparation layer (the family's probe, and the kernel
// console on the serial port, since real guests print nothing there), then an empty layer the guest
// boots on; the image stays byte-identical. The verdict needs all of:
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
import { request } from 'node:http';
import { type Socket, connect } from 'node:net';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BootEvidence } from '../guests/family.js';
import { type ProbeReport, parseProbe } from '../model/boot-probe.js';
import { type NicIntent, staticAddresses } from '../model/guest-network.js';
import type { Domain } from '../outputs/libvirt/domain.js';
import { shippedDomain } from '../outputs/libvirt/index.js';
import type { MachineSpec } from '../outputs/output.js';
import { type ServiceCheck, type ServiceCheckResult, checkLabel, httpTarget } from '../model/service-check.js';
import { libvirtUnavailable, startTransient, validationDomain } from '../outputs/libvirt/transient.js';
import { hostAccel } from '../tools/guestfs-backend.js';
import { requireTool } from '../tools/known-tools.js';
import { findOvmf } from '../tools/locate.js';
import { qemuImg } from '../tools/qemu-img.js';
import { dhcpAcks, sourceAddresses } from './net-capture.js';
import { reaped, reapWithUs } from '../tools/reaper.js';
import { NoSpaceError, fullWatch } from '../util/files.js';
import { consoleLines } from '../util/console-lines.js';
import type { Secret } from '../tools/guestfish.js';
import { freePort } from '../util/free-port.js';

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
  /** The policy's service checks, in its order. */
  services: ServiceCheckResult[];
  failure?: string;
  serialLog: string;
  /** The console when the verdict was reached (PNG), where libvirt could take it. */
  screenshot?: string;
  accel: string;
  /** What ran the machine: libvirt, or qemu directly and why. */
  via: string;
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

/** slirp's network, where user networking puts a guest that asks for DHCP. */
const BOOT_NET = '10.0.2.';

/** PURE: each service check's result from the probe's report and, for tcp/http, the outside tries
 *  (by check index; absent where not tried, with `unreachable` saying why). */
export function judgeServices(
  checks: ServiceCheck[],
  probe: ProbeReport,
  outside: Map<number, { passed: boolean; detail: string }>,
  unreachable?: string,
): ServiceCheckResult[] {
  return checks.map((c, i) => {
    const found = probe.checks.find((r) => r.index === i);
    const inside = found
      ? { passed: found.ok, detail: found.detail }
      : { passed: false, detail: "the guest's probe did not report it" };
    const out = outside.get(i);
    const fromOutside = c.kind === 'tcp' || c.kind === 'http';
    return {
      check: checkLabel(c),
      passed: inside.passed && (out?.passed ?? true),
      inside,
      ...(out ? { outside: out } : {}),
      ...(fromOutside && !out && unreachable ? { unreachable } : {}),
    };
  });
}

/** A booting machine, however it was started. */
interface Machine {
  stopped(): string | undefined;
  screenshot?(path: string): Promise<boolean>;
  /** Forwards a free host port on 127.0.0.1 to the guest's ip:port on its first NIC. */
  forward(ip: string, port: number): Promise<number | undefined>;
  stop(): Promise<void>;
}

/** PURE: the passphrase prompts the console shows, in order: the volume each names (a capture group
 *  of the family's prompt patterns), or '' where a prompt names none. */
export function passphrasePrompts(serial: string, prompts: RegExp[]): string[] {
  const found: { at: number; name: string }[] = [];
  for (const re of prompts)
    for (const m of serial.matchAll(new RegExp(re.source, `${re.flags.replace('g', '')}g`)))
      found.push({ at: m.index ?? 0, name: m[1] ?? '' });
  return found.sort((a, b) => a.at - b.at).map((f) => f.name);
}

/** Passphrases to type at the guest's prompts: each LUKS volume's, by its crypttab name. */
export interface BootUnlock {
  prompts: RegExp[];
  keys: { name: string; key: Secret }[];
}

/** PURE: what to type for the prompts seen when `typed` were answered: the next passphrase, nothing
 *  yet, or why the boot cannot go on (a prompt repeated: the passphrase was refused). */
export function nextPassphrase(
  asked: string[],
  typed: number,
  keys: BootUnlock['keys'],
): { key?: Secret; failure?: string } {
  if (typed >= asked.length) return {};
  const name = asked[typed];
  if (asked.slice(0, typed).includes(name))
    return {
      failure: `the guest asked again for the passphrase of ${name || 'its volume'}: it refused luks_keys' one`,
    };
  const key = name ? keys.find((k) => k.name === name) : keys.length === 1 ? keys[0] : undefined;
  if (!key) return { failure: `the guest asks for a passphrase luks_keys does not hold (${name || 'unnamed volume'})` };
  return { key: key.key };
}

/** Types on a serial console's socket. */
function typeOn(socketPath: string, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect(socketPath, () => s.end(text, () => resolve()));
    s.on('error', reject);
  });
}

/** The last line the guest printed on its console, as its console shows it. */
export function lastLine(serial: string): string {
  const last =
    consoleLines(serial)
      .map((l) => l.trim())
      .filter(Boolean)
      .at(-1) ?? '';
  return last.length > 100 ? `${last.slice(0, 99)}…` : last;
}

/** `machine`: the VM as its outputs describe it (its disks are the images booted, on overlays);
 *  `evidence`: what the guest's family prints; `prepare`: readies the preparation layers (one per
 *  disk) before the boot. The machine boots through libvirtd (the shipped domain, transient, see
 *  outputs/libvirt/transient.ts); where no libvirtd answers, through qemu directly, and the
 *  verdict says so. */
export async function bootTest(opts: {
  machine: MachineSpec;
  evidence: BootEvidence;
  prepare: (layers: string[]) => Promise<void>;
  /** The network the guest's configuration intends (the plan's `network`). */
  network?: NicIntent[];
  /** The policy's service checks (the probe runs them inside; tcp and http are tried from outside too). */
  checks?: ServiceCheck[];
  timeoutSec: number;
  workDir: string;
  /** Every second: the time booting against the timeout, and the last line the guest printed. */
  onProgress?: (message: string) => void;
  /** LUKS volumes the guest asks passphrases for on its console. */
  unlock?: BootUnlock;
}): Promise<BootVerdict> {
  const serviceChecks = opts.checks ?? [];
  mkdirSync(opts.workDir, { recursive: true });
  const images = opts.machine.disks;
  const domain = shippedDomain(opts.machine);
  const named = (base: string) => images.map((_, i) => join(opts.workDir, `${base}${i ? `-disk${i}` : ''}.qcow2`));
  const prepared = named('boot-prepared');
  const overlays = named('boot-overlay');
  const serialLog = join(opts.workDir, 'boot-serial.log');
  const serialSocket = opts.unlock?.keys.length ? join(opts.workDir, 'boot-serial.sock') : undefined;
  if (serialSocket) rmSync(serialSocket, { force: true });
  const pcaps = domain.nics.map((_, i) => join(opts.workDir, `boot-net${i ? `-nic${i}` : ''}.pcap`));
  const screen = join(opts.workDir, 'boot-screen.png');
  for (const f of [...prepared, ...overlays, serialLog, screen, ...pcaps]) rmSync(f, { force: true });
  for (const [i, p] of prepared.entries())
    await qemuImg(['create', '-q', '-f', 'qcow2', '-F', opts.machine.format, '-b', images[i], p]);
  await opts.prepare(prepared);
  for (const [i, o] of overlays.entries())
    await qemuImg(['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', prepared[i], o]);
  const accel = await chooseAccel();
  const noLibvirt = await libvirtUnavailable();
  const via = noLibvirt ? `qemu (${noLibvirt})` : 'libvirt';
  const started = Date.now();
  const machine: Machine = noLibvirt
    ? startQemu(domain, { overlays, serialLog, serialSocket, pcaps, accel, workDir: opts.workDir })
    : await startTransient(
        validationDomain(
          domain,
          {
            name: `h2k-validate-${domain.name}-${process.pid}`,
            overlays,
            serialLog,
            ...(serialSocket ? { serialSocket } : {}),
            pcaps,
            nvram: join(opts.workDir, 'boot-VARS.fd'),
            accel,
          },
          { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
        ),
        opts.workDir,
      );
  let failure: string | undefined;
  let typed = 0;
  let verdict: ReturnType<typeof judge> | undefined;
  let services: ServiceCheckResult[] = [];
  let screenshot: string | undefined;
  // A full filesystem pauses the VM (qemu's default): that is no boot failure, and no reason to
  // wait out the timeout. Full on two checks in a row, the stage fails with ENOSPC instead.
  const full = fullWatch([dirname(overlays[0])]);
  try {
    while (Date.now() - started < opts.timeoutSec * 1000) {
      await new Promise((r) => setTimeout(r, 1000));
      const dir = full();
      if (dir) throw new NoSpaceError(dir);
      const serial = existsSync(serialLog) ? readFileSync(serialLog, 'utf8') : '';
      const elapsed = `${((Date.now() - started) / 1000).toFixed(0)} s of ≤ ${opts.timeoutSec} s`;
      opts.onProgress?.(`booting (${via}): ${elapsed}; guest: ${lastLine(serial) || '(nothing yet)'}`);
      const bad = [...FIRMWARE_FAILURES, ...opts.evidence.failures].find(([re]) => re.test(serial));
      if (bad) {
        failure = bad[1];
        break;
      }
      if (serialSocket && opts.unlock) {
        const next = nextPassphrase(passphrasePrompts(serial, opts.unlock.prompts), typed, opts.unlock.keys);
        if (next.failure) {
          failure = next.failure;
          break;
        }
        if (next.key) {
          await typeOn(serialSocket, `${String(next.key.reveal())}\n`);
          typed++;
        }
      }
      const probe = parseProbe(serial);
      if (probe.ended) {
        // Give the capture a moment to hold the probe's own traffic.
        await new Promise((r) => setTimeout(r, 1000));
        verdict = judge(probe, capture(pcaps), await overlayHasData(overlays[0]), opts.network);
        if (serviceChecks.length) {
          const ip = verdict.checks.network ? probe.addrs.find((a) => a.ip.startsWith(BOOT_NET))?.ip : undefined;
          const unreachable = ip
            ? undefined
            : verdict.checks.network
              ? `the guest's address (${probe.addrs.map((a) => a.ip).join(', ')}) is not on the boot network ` +
                `${BOOT_NET}0/24: checked from inside only`
              : 'the guest has no working network: checked from inside only';
          const outside = ip ? await tryFromOutside(machine, ip, serviceChecks) : new Map();
          services = judgeServices(serviceChecks, probe, outside, unreachable);
        }
        break;
      }
      const stopped = machine.stopped();
      if (stopped) {
        failure = stopped;
        break;
      }
    }
    if (machine.screenshot && (await machine.screenshot(screen))) screenshot = screen;
  } finally {
    await machine.stop();
    for (const o of [...overlays, ...prepared]) rmSync(o, { force: true });
  }
  const checks = verdict?.checks ?? {
    default_target: false,
    root_read_write: false,
    fstab_mounted: false,
    network: false,
  };
  const failedServices = services.filter((r) => !r.passed);
  const booted = Object.values(checks).every(Boolean);
  const passed = !failure && booted && failedServices.length === 0;
  if (!failure && booted && failedServices.length) {
    failure = `service checks failed: ${failedServices.map((r) => `${r.check} (${serviceFailure(r)})`).join('; ')}`;
  } else if (!passed && !failure) {
    const missing = (Object.keys(checks) as (keyof BootChecks)[]).filter((k) => !checks[k]).map((k) => CHECK_NAMES[k]);
    failure = verdict
      ? `no evidence of: ${missing.join(', ')}${verdict.detail.length ? ` (${verdict.detail.join('; ')})` : ''}`
      : `timed out after ${opts.timeoutSec} s without: ${missing.join(', ')} (the guest's probe never reported)`;
  }
  const network = verdict?.network;
  writeFileSync(
    join(opts.workDir, 'boot-verdict.json'),
    `${JSON.stringify({ passed, checks, network, services, failure, accel, via }, null, 2)}\n`,
  );
  const seconds = (Date.now() - started) / 1000;
  return {
    passed,
    seconds,
    checks,
    ...(network ? { network } : {}),
    services,
    ...(failure ? { failure } : {}),
    serialLog,
    ...(screenshot ? { screenshot } : {}),
    accel,
    via,
  };
}

/** The machine without libvirt: qemu with the domain's hardware on the same overlays, user
 *  networking and capture per NIC, the serial console into a file. */
function startQemu(
  domain: Domain,
  o: { overlays: string[]; serialLog: string; serialSocket?: string; pcaps: string[]; accel: string; workDir: string },
): Machine {
  const qemu = requireTool('qemu-system-x86_64');
  const monitor = join(o.workDir, 'boot-monitor.sock');
  rmSync(monitor, { force: true });
  const args = [
    '-machine',
    `q35,accel=${o.accel}${domain.secureBoot ? ',smm=on' : ''}`,
    '-m',
    String(domain.memory_mib),
    '-smp',
    String(domain.cpus),
    '-display',
    'none',
    '-vga',
    'std',
    '-no-reboot',
    '-monitor',
    `unix:${monitor},server=on,wait=off`,
    ...(o.serialSocket
      ? [
          '-chardev',
          `socket,id=ser0,path=${o.serialSocket},server=on,wait=off,logfile=${o.serialLog}`,
          '-serial',
          'chardev:ser0',
        ]
      : ['-serial', `file:${o.serialLog}`]),
    ...o.overlays.flatMap((file, i) => [
      '-drive',
      `file=${file},if=none,id=d${i},format=qcow2,discard=unmap`,
      '-device',
      `virtio-blk-pci,drive=d${i}${i === 0 ? ',bootindex=0' : ''}`,
    ]),
    ...domain.nics.flatMap((n, i) => [
      '-netdev',
      `user,id=n${i}`,
      '-device',
      `${n.model === 'virtio' ? 'virtio-net-pci' : n.model},netdev=n${i},mac=${n.mac}`,
      '-object',
      `filter-dump,id=f${i},netdev=n${i},file=${o.pcaps[i]}`,
    ]),
    '-object',
    'rng-random,id=rng0,filename=/dev/urandom',
    '-device',
    'virtio-rng-pci,rng=rng0',
  ];
  if (o.accel === 'kvm') args.push('-cpu', 'host');
  if (domain.firmware === 'uefi') {
    const ovmf = findOvmf(domain.secureBoot);
    if (!ovmf) throw new Error('UEFI guest but no OVMF firmware: install ovmf (npm run setup)');
    if (domain.secureBoot) args.push('-global', 'driver=cfi.pflash01,property=secure,value=on');
    // A fresh variable store: the VMware NVRAM and its boot entries do not come along.
    const vars = join(o.workDir, 'OVMF_VARS.fd');
    copyFileSync(ovmf.vars, vars);
    args.push(
      '-drive',
      `if=pflash,format=raw,readonly=on,file=${ovmf.code}`,
      '-drive',
      `if=pflash,format=raw,file=${vars}`,
    );
  }
  const child = spawn(qemu, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  reapWithUs(child.pid);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let exited = false;
  child.on('exit', () => {
    exited = true;
    reaped(child.pid);
  });
  return {
    stopped: () => (exited ? `qemu exited early: ${stderr.trim().split('\n').pop() ?? ''}` : undefined),
    forward: async (ip, port) => {
      const host = await freePort();
      // hostfwd_add says nothing when it worked.
      const reply = await hmp(monitor, `hostfwd_add n0 tcp:127.0.0.1:${host}-${ip}:${port}`);
      return reply === '' ? host : undefined;
    },
    stop: async () => {
      child.kill('SIGKILL');
      await new Promise((r) => (exited ? r(undefined) : child.once('exit', r)));
    },
  };
}

/** One HMP command on qemu's monitor socket; its reply (empty when it succeeded quietly), or
 *  undefined when the monitor did not answer. */
export async function hmp(socketPath: string, command: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    let out = '';
    let sent = false;
    const s: Socket = connect(socketPath);
    s.setEncoding('utf8');
    s.on('error', () => resolve(undefined));
    s.on('data', (d: string) => {
      out += d;
      // A banner and a prompt, then the command echoed (with readline's cursor moves), its reply,
      // and the next prompt.
      const prompts = out.split('(qemu) ').length - 1;
      if (prompts === 1 && out.endsWith('(qemu) ') && !sent) {
        sent = true;
        s.write(`${command}\n`);
      }
      if (prompts >= 2) {
        s.end();
        const afterEcho = out.slice(out.indexOf('(qemu) ') + 7, out.lastIndexOf('(qemu) ')).split('\r\n');
        resolve(
          afterEcho
            .slice(1)
            .join('\n')
            .replace(/\x1b\[[0-9;]*[A-Za-z]/g, '')
            .trim(),
        );
      }
    });
    setTimeout(() => (s.destroy(), resolve(undefined)), 10_000).unref();
  });
}

/** tcp and http checks through a forwarding into the running guest, by check index. */
async function tryFromOutside(
  machine: Machine,
  ip: string,
  checks: ServiceCheck[],
): Promise<Map<number, { passed: boolean; detail: string }>> {
  const results = new Map<number, { passed: boolean; detail: string }>();
  for (const [i, c] of checks.entries()) {
    if (c.kind !== 'tcp' && c.kind !== 'http') continue;
    const target = c.kind === 'tcp' ? { port: c.port, path: '' } : httpTarget(c.url)!;
    const port = await machine.forward(ip, target.port);
    if (port === undefined) {
      results.set(i, { passed: false, detail: `could not forward a host port to ${ip}:${target.port}` });
      continue;
    }
    const via = `127.0.0.1:${port} → ${ip}:${target.port}`;
    const r =
      c.kind === 'tcp'
        ? await tcpAnswers(port)
        : await httpStatus(port, target.path || '/', new URL(c.url).host).then((s) =>
            typeof s === 'number'
              ? { passed: s === c.expect_status, detail: `HTTP ${s}` }
              : { passed: false, detail: s },
          );
    results.set(i, { passed: r.passed, detail: `${r.detail} (${via})` });
  }
  return results;
}

/** user networking accepts on the host side first and closes once the guest refuses: a connection
 *  that is still open after a moment, or that received data, reached a listener in the guest. */
function tcpAnswers(port: number): Promise<{ passed: boolean; detail: string }> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    const done = (passed: boolean, detail: string) => {
      s.destroy();
      resolve({ passed, detail });
    };
    s.on('connect', () => setTimeout(() => done(true, 'connection held open'), 1500));
    s.on('data', () => done(true, 'connection answered'));
    s.on('close', () => done(false, 'connection closed by the guest: nothing accepts there'));
    s.on('error', (e) => done(false, e.message));
  });
}

function httpStatus(port: number, path: string, host: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host }, timeout: 10_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 'no status');
    });
    req.on('timeout', () => req.destroy(new Error('no answer in 10 s')));
    req.on('error', (e) => resolve(e.message));
    req.end();
  });
}

function serviceFailure(r: ServiceCheckResult): string {
  if (!r.inside.passed) return r.inside.detail;
  return `inside: ${r.inside.detail}; from outside: ${r.outside?.detail ?? ''}`;
}

/** Every NIC's DHCP acknowledgements and packet sources, together. */
function capture(pcaps: string[]): { acks: { ip: string }[]; sources: Set<string> } {
  const bytes = pcaps.filter((p) => existsSync(p)).map((p) => readFileSync(p));
  return {
    acks: bytes.flatMap((b) => dhcpAcks(b)),
    sources: new Set(bytes.flatMap((b) => [...sourceAddresses(b)])),
  };
}

async function overlayHasData(overlay: string): Promise<boolean> {
  const r = await qemuImg(['map', '-U', '--output=json', overlay], { reject: false });
  if (r.exitCode !== 0) return false;
  const extents = JSON.parse(r.stdout) as { depth: number; data: boolean }[];
  return extents.some((e) => e.depth === 0 && e.data);
}
