// Finding VMs on an ESXi host: `vim-cmd vmsvc/getallvms` where the host has it, otherwise every
// .vmx one directory below each datastore (the layout ESXi creates). Datastore paths
// ("[datastore1] web01/web01.vmx") map to files under the datastore root.
import { posix } from 'node:path';
import type { EsxiSourceFacts } from '../../model/source-facts.js';
import { EsxiError, type EsxiSession } from './ssh.js';
import { parseVmsd, parseVmx } from './vmx.js';

export interface EsxiVm {
  facts: EsxiSourceFacts;
  /** The VM's directory on the host (absolute). */
  dir: string;
  cpus?: number;
  memory_mib?: number;
  firmware: 'bios' | 'efi';
}

export function datastorePath(root: string, file: string): string {
  const rel = posix.relative(root, file);
  const [ds, ...rest] = rel.split('/');
  return `[${ds}] ${rest.join('/')}`;
}

export function hostPath(root: string, dsPath: string): string | undefined {
  const m = /^\[([^\]/]+)\]\s*(.+)$/.exec(dsPath.trim());
  if (!m || m[2].split('/').includes('..') || m[1] === '..') return undefined;
  return posix.join(root, m[1], m[2]);
}

const VMFS_UUID = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `vim-cmd vmsvc/getallvms` output (Vmid, Name, File, Guest OS, Version, Annotation columns) →
 *  the .vmx files, as absolute paths; names may hold spaces, the File column is "[ds] dir/x.vmx". */
export function parseGetAllVms(stdout: string, root: string): string[] {
  return stdout
    .split('\n')
    .map((l) => /^\s*\d+\s+.*?\s(\[[^\]]+\]\s+\S.*?\.vmx)(\s|$)/.exec(l)?.[1])
    .filter((p): p is string => !!p)
    .map((p) => hostPath(root, p))
    .filter((p): p is string => !!p)
    .sort();
}

/** Every .vmx on the host, as absolute paths. */
export async function vmxFiles(session: EsxiSession): Promise<{ files: string[]; via: string }> {
  const root = session.source.datastore_root;
  const vim = await session.exec('vim-cmd vmsvc/getallvms');
  if (vim.code === 0) return { files: parseGetAllVms(vim.stdout, root), via: 'vim-cmd' };
  const top = await session.stat(root);
  if (!top?.directory)
    throw new EsxiError(
      `${session.source.address}: ${root} is not a directory on ${session.source.host}`,
      'set datastore_root to where the datastores are mounted',
    );
  const files: string[] = [];
  for (const ds of await session.list(root)) {
    // ESXi lists each datastore twice: its VMFS UUID directory and its name, a symlink to it.
    if (VMFS_UUID.test(ds)) continue;
    const dsDir = posix.join(root, ds);
    if (!(await session.stat(dsDir))?.directory) continue;
    for (const vmDir of await session.list(dsDir)) {
      const d = posix.join(dsDir, vmDir);
      if (!(await session.stat(d))?.directory) continue;
      for (const f of await session.list(d)) if (f.endsWith('.vmx')) files.push(posix.join(d, f));
    }
  }
  return { files, via: 'a datastore listing' };
}

export async function readVm(session: EsxiSession, vmx: string): Promise<EsxiVm> {
  const root = session.source.datastore_root;
  const st = await session.stat(vmx);
  if (!st) throw new EsxiError(`${session.source.address}: ${vmx} is gone from ${session.source.host}`, 'plan again');
  const dir = posix.dirname(vmx);
  const parsed = parseVmx(
    (await session.read(vmx, 0, Math.min(st.size, 1 << 20))).toString('utf8'),
    posix.basename(vmx, '.vmx'),
  );
  const vmsd = posix.join(dir, `${posix.basename(vmx, '.vmx')}.vmsd`);
  const vmsdStat = await session.stat(vmsd);
  const snapshots = vmsdStat
    ? parseVmsd((await session.read(vmsd, 0, Math.min(vmsdStat.size, 1 << 20))).toString('utf8'))
    : [];
  const powered = (await session.stat(`${vmx}.lck`)) !== undefined;
  return {
    dir,
    ...(parsed.cpus ? { cpus: parsed.cpus } : {}),
    ...(parsed.memory_mib ? { memory_mib: parsed.memory_mib } : {}),
    firmware: parsed.firmware,
    facts: {
      type: 'esxi',
      path: datastorePath(root, vmx),
      name: parsed.name,
      ...(parsed.uuid ? { uuid: parsed.uuid } : {}),
      ...(parsed.guest_os ? { guest_os: parsed.guest_os } : {}),
      powered_on: powered,
      snapshots,
      disks: parsed.disks,
      nics: parsed.nics,
    },
  };
}
