// One ESXi VM → the facts the planner needs: its disks' chains read over SFTP (headers and
// descriptors only, through the shared chain walker), a fingerprint FETCH checks before copying,
// hardware from the .vmx, and inspection through nbdkit's ssh plugin (no download), the host key
// pinned to the one this session verified and the password through a FIFO.
import { existsSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { DiskFacts, SourceFingerprint, SourceHardware } from '../../model/facts.js';
import { sha256 } from '../../util/hash.js';
import { type ChainLayer, type ChainReader, walkChain } from '../disk-chain/chain.js';
import { virtualBytes, wwnOf } from '../disk-chain/descriptor.js';
import { DiskChainError } from '../disk-chain/errors.js';
import type { InspectionDisks, SourceVmFacts } from '../driver.js';
import { mountRemoteChains } from '../remote-mounts.js';
import { sampledHash } from '../sampling.js';
import { datastorePath, type EsxiVm } from './inventory.js';
import type { EsxiSession } from './ssh.js';

/** Samples per file: each is one SFTP round trip. */
const SAMPLES = 16;

/** Chain files over SFTP: names resolve next to the file that names them and stay in the disk's directory. */
function sftpReader(session: EsxiSession, entry: string): ChainReader {
  const base = posix.dirname(entry);
  const root = session.source.datastore_root;
  return {
    otherFormats: false,
    resolve(name, from, what) {
      const p = posix.isAbsolute(name) ? posix.normalize(name) : posix.join(posix.dirname(from), name);
      if (posix.dirname(p) !== base || name.split('/').includes('..'))
        throw new DiskChainError(
          `${what} path ${JSON.stringify(name)} in ${datastorePath(root, from)} leaves the disk's directory`,
          'a descriptor may only name files next to it; this one may be hostile',
        );
      return p;
    },
    size: async (file) => (await session.stat(file))?.size,
    read: (file, offset, length) => session.read(file, offset, length),
    shown: (file) => datastorePath(root, file),
    identity: (file) => file,
  };
}

export interface EsxiChain {
  entry: string;
  layers: ChainLayer[];
  /** Every file of the chain (absolute host paths), the entry first. */
  files: string[];
}

/** The host path of a disk the .vmx names: relative to the VM's directory, or absolute under the datastores. */
export function diskPath(vm: EsxiVm, file: string, root: string): string {
  const p = posix.isAbsolute(file) ? posix.normalize(file) : posix.join(vm.dir, file);
  if (!p.startsWith(`${root}/`) || file.split('/').includes('..'))
    throw new DiskChainError(
      `${vm.facts.path} names the disk ${JSON.stringify(file)}, outside the datastores under ${root}`,
      'the .vmx may be hostile; h2k reads only datastore files',
    );
  return p;
}

export async function esxiChains(session: EsxiSession, vm: EsxiVm): Promise<EsxiChain[]> {
  const chains: EsxiChain[] = [];
  for (const d of vm.facts.disks) {
    const entry = diskPath(vm, d.file, session.source.datastore_root);
    const layers = await walkChain(sftpReader(session, entry), entry);
    const files = [...new Set(layers.flatMap((l) => [l.file, ...l.dataFiles]))];
    chains.push({ entry, layers, files });
  }
  return chains;
}

export async function esxiDiskFacts(
  session: EsxiSession,
  vm: EsxiVm,
): Promise<{ chains: EsxiChain[]; disks: DiskFacts[]; fingerprint: SourceFingerprint }> {
  const root = session.source.datastore_root;
  const chains = await esxiChains(session, vm);
  const files: SourceFingerprint['files'] = [];
  const disks: DiskFacts[] = [];
  for (const c of chains) {
    let allocated = 0;
    for (const f of c.files) {
      const st = (await session.stat(f))!;
      allocated += st.size;
      files.push({
        file: datastorePath(root, f),
        size: st.size,
        mtime_ms: Math.floor(st.mtime_ms),
        sample_sha256: await sampledHash((o, n) => session.read(f, o, n), st.size, SAMPLES),
      });
    }
    const name = (p: string) => posix.basename(p);
    disks.push({
      name: datastorePath(root, c.entry),
      format: 'vmdk',
      virtual_bytes: virtualBytes(c.layers[0].descriptor!),
      allocated_bytes: allocated,
      chain: c.layers.map((l) => ({ file: name(l.file), format: 'vmdk', data_files: l.dataFiles.map(name) })),
      ...wwnOf(c.layers[0].descriptor),
    });
  }
  const descriptors = chains.flatMap((c) => c.layers.map((l) => JSON.stringify(l.descriptor)));
  return {
    chains,
    disks,
    fingerprint: {
      files: files.sort((a, b) => (a.file < b.file ? -1 : 1)),
      descriptor_sha256: sha256(descriptors.join('\n')),
    },
  };
}

export function esxiHardware(vm: EsxiVm): SourceHardware {
  return {
    ...(vm.cpus ? { cpus: vm.cpus } : {}),
    ...(vm.memory_mib ? { memory_mib: vm.memory_mib } : {}),
    firmware: vm.firmware === 'efi' ? 'uefi' : 'bios',
    nics: vm.facts.nics.map((n) => ({
      ...(n.mac ? { mac: n.mac } : {}),
      ...(n.network ? { network: n.network } : {}),
    })),
  };
}

function openChains(session: EsxiSession, chains: EsxiChain[]): Promise<InspectionDisks> {
  const src = session.source;
  return mountRemoteChains(
    chains.map((c) => ({
      files: c.files.map((f) => posix.basename(f)),
      virtual_bytes: virtualBytes(c.layers[0].descriptor!),
    })),
    (d, file, dir) => {
      const known = join(dir, 'known_hosts');
      if (!existsSync(known)) writeFileSync(known, session.knownHosts, { mode: 0o600 });
      const params = [
        `host=${src.host}`,
        `port=${src.port}`,
        `user=${src.username}`,
        `path=${posix.join(posix.dirname(chains[d].entry), file)}`,
        `known-hosts=${known}`,
        ...(src.private_key_file ? [`identity=${src.private_key_file}`] : []),
      ];
      return {
        plugin: 'ssh',
        params,
        ...(src.password ? { secrets: { password: String(src.password.reveal()) } } : {}),
      };
    },
    `check that ${src.host}:${src.port} is reachable over SSH (npm run setup installs nbdkit's ssh plugin and nbdfuse)`,
  ).then((m) => ({ ...m, explain: async (e: unknown) => e }));
}

export async function esxiVmFacts(
  session: EsxiSession,
  vm: EsxiVm,
  opts: { inspect: boolean },
): Promise<SourceVmFacts> {
  const base = { source: vm.facts, hardware: esxiHardware(vm) };
  if (!opts.inspect) {
    const root = session.source.datastore_root;
    const disks = vm.facts.disks.map((d) => ({
      name: datastorePath(root, diskPath(vm, d.file, root)),
      format: 'vmdk',
      virtual_bytes: 0,
      allocated_bytes: 0,
      chain: [],
    }));
    return { ...base, disks, fingerprint: { files: [], descriptor_sha256: sha256('') } };
  }
  const { chains, disks, fingerprint } = await esxiDiskFacts(session, vm);
  return { ...base, disks, fingerprint, open: () => openChains(session, chains) };
}
