// The boot test's machine through libvirtd: the shipped domain, started as a transient domain with
// only what the test needs changed (validationDomain), so the machine that boots is the machine we
// ship. Transient: libvirt forgets it once it stops, and its qemu is listed with the reaper, so a
// kill -9 of h2k ends it too (and with it the domain).
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { requireTool } from '../../tools/known-tools.js';
import { findTool } from '../../tools/locate.js';
import { freePort } from '../../util/free-port.js';
import { ended, endWithUs, processStartTime, reaped, reapWithUs } from '../../tools/reaper.js';
import { type Domain, domainXml } from './domain.js';

/** PURE: the shipped domain as the boot test starts it: a name of its own, disks on the throwaway
 *  overlays, each NIC (same MAC and model) on user networking with its packets captured, the serial
 *  console into a file, fresh UEFI variables in the work directory, TCG (and a CPU TCG emulates
 *  well) where KVM does not work, and qemu running as h2k's user on h2k's own files. */
export function validationDomain(
  shipped: Domain,
  o: {
    name: string;
    overlays: string[];
    serialLog: string;
    /** A socket to type on the serial console through (passphrases), when one is needed. */
    serialSocket?: string;
    pcaps: string[];
    nvram: string;
    accel: string;
  },
  runAs: { uid: number; gid: number },
): Domain {
  return {
    ...shipped,
    ...(o.accel === 'kvm' ? { type: 'kvm' } : { type: 'qemu', cpu: 'tcg' }),
    name: o.name,
    disks: o.overlays.map((path) => ({ path, format: 'qcow2' })),
    nics: shipped.nics.map((n) => ({ ...n, backend: { type: 'user' } })),
    serial: o.serialSocket
      ? { type: 'unix', path: o.serialSocket, log: o.serialLog }
      : { type: 'file', path: o.serialLog },
    ...(shipped.firmware === 'uefi' ? { nvram: o.nvram } : {}),
    runAs,
    // libvirt names the i-th NIC's netdev hostnet<i>.
    qemuArgs: o.pcaps.flatMap((file, i) => ['-object', `filter-dump,id=h2kcap${i},netdev=hostnet${i},file=${file}`]),
  };
}

async function virsh(args: string[], timeout = 120_000) {
  return execa(requireTool('virsh'), args, { reject: false, timeout, env: { LC_ALL: 'C' } });
}

/** Why no libvirtd can run the boot test here, or undefined when one answers. */
export async function libvirtUnavailable(): Promise<string | undefined> {
  if (!findTool('virsh')) return 'virsh is not installed';
  const r = await virsh(['version', '--daemon'], 20_000);
  if (r.exitCode === 0) return undefined;
  const line = (r.stderr || r.stdout).trim().split('\n').pop() ?? '';
  return `no libvirtd answers (${line.replace(/^error:\s*/, '')})`;
}

/** The qemu process libvirt started for a domain (it names the guest on its command line). */
function qemuPid(name: string): number | undefined {
  const needle = `guest=${name},`;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'latin1').includes(needle)) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

export interface TransientMachine {
  /** Set once the machine stopped by itself. */
  stopped(): string | undefined;
  /** The console as it shows now (PNG), where libvirt can take it. */
  screenshot(path: string): Promise<boolean>;
  /** Forwards a free host port on 127.0.0.1 to the guest's ip:port on its first NIC. */
  forward(ip: string, port: number): Promise<number | undefined>;
  stop(): Promise<void>;
}

export async function startTransient(domain: Domain, workDir: string): Promise<TransientMachine> {
  const xml = join(workDir, 'boot-domain.xml');
  writeFileSync(xml, domainXml(domain));
  const destroy = async () => {
    await virsh(['destroy', domain.name], 60_000);
    ended(domain.name);
  };
  endWithUs(domain.name, [requireTool('virsh'), 'destroy', domain.name]);
  const created = await virsh(['create', xml]);
  if (created.exitCode !== 0) {
    ended(domain.name);
    throw new Error(`libvirt did not start the domain: ${(created.stderr || created.stdout).trim().split('\n')[0]}`);
  }
  const pid = qemuPid(domain.name);
  if (pid === undefined) {
    await destroy();
    throw new Error(`libvirt started ${domain.name} but its qemu process is not on this host`);
  }
  reapWithUs(pid);
  // Known by pid and start time, as the reaper knows it: a pid freed by a crashed qemu may be reused.
  const started = processStartTime(pid);
  let done = false;
  return {
    stopped: () =>
      started !== undefined && processStartTime(pid) === started
        ? undefined
        : 'the domain stopped before the guest reported',
    screenshot: async (path) => (await virsh(['screenshot', domain.name, path], 30_000)).exitCode === 0,
    forward: async (ip, port) => {
      // libvirt has no forwarding for user networking (slirp) in its XML: qemu's monitor has.
      const host = await freePort();
      const rule = `hostfwd_add hostnet0 tcp:127.0.0.1:${host}-${ip}:${port}`;
      const r = await virsh(['qemu-monitor-command', domain.name, '--hmp', rule], 30_000);
      // hostfwd_add says nothing when it worked.
      return r.exitCode === 0 && r.stdout.trim() === '' ? host : undefined;
    },
    stop: async () => {
      if (done) return;
      done = true;
      await destroy();
      reaped(pid);
      if (domain.nvram) rmSync(domain.nvram, { force: true });
    },
  };
}
