// One VirtualSystem of a package → the facts the planner needs: its disks read where they lie
// (inside the archive, through the shared chain walker: a disk must be one self-contained file),
// its hardware from the descriptor, a fingerprint of the package, and inspection through nbdkit's
// offset filter over the member's bytes, so an OVA is planned without extracting it.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import type { DiskFacts, SourceFingerprint, SourceHardware } from '../../model/facts.js';
import type { OvaSourceFacts } from '../../model/source-facts.js';
import { NbdMounts } from '../../tools/nbd.js';
import { type ChainReader, walkChain } from '../disk-chain/chain.js';
import { virtualBytes } from '../disk-chain/descriptor.js';
import { DiskChainError } from '../disk-chain/errors.js';
import type { InspectionDisks, SourceVmFacts } from '../driver.js';
import { sampledHash } from '../sampling.js';
import type { OvfSystem } from './ovf.js';
import { type OvfPackage, type PackageFile, fileBytes } from './package.js';

const SAMPLES = 64;

/** Reads the package's files by href: a disk may name no other file (an extent or a parent). */
function packageReader(pkg: OvfPackage): ChainReader {
  const at = (href: string): PackageFile => pkg.files.get(href)!;
  return {
    // A member that is not a VMDK (a text file, the manifest) is refused, not read as a raw disk.
    otherFormats: false,
    resolve(name, from, what) {
      throw new DiskChainError(
        `${from} in ${pkg.path} names ${what} ${JSON.stringify(name)}`,
        'a disk in an OVF package must be one self-contained file (streamOptimized VMDK, qcow2, raw); export it again',
      );
    },
    size: async (href) => pkg.files.get(href)?.size,
    async read(href, offset, length) {
      const f = at(href);
      const bytes = fileBytes(f.file);
      try {
        return await bytes.read(f.offset + offset, Math.max(0, Math.min(length, f.size - offset)));
      } finally {
        bytes.close();
      }
    },
    shown: (href) => (pkg.kind === 'ova' ? `${pkg.path}:${href}` : href),
    identity: (href) => href,
  };
}

export function ovaSourceFacts(pkg: OvfPackage, sys: OvfSystem): OvaSourceFacts {
  return {
    type: 'ova',
    package: pkg.kind,
    system: sys.name,
    ...(sys.os_type ? { os_type: sys.os_type } : {}),
    manifest: pkg.manifest?.algorithm ?? 'none',
    disks: sys.disks.map((d) => ({ href: d.href, capacity_bytes: d.capacity_bytes, controller: d.controller })),
    nics: sys.nics,
  };
}

export function ovaHardware(sys: OvfSystem): SourceHardware {
  return {
    ...(sys.cpus ? { cpus: sys.cpus } : {}),
    ...(sys.memory_mib ? { memory_mib: sys.memory_mib } : {}),
    firmware: sys.firmware === 'efi' ? 'uefi' : 'bios',
    nics: sys.nics.map((n) => ({ ...(n.mac ? { mac: n.mac } : {}), ...(n.network ? { network: n.network } : {}) })),
  };
}

/** The package's files that make this VM, sampled: cheap to take on every plan, sensitive to a change. */
export async function packageFingerprint(pkg: OvfPackage, sys: OvfSystem): Promise<SourceFingerprint> {
  const files = pkg.kind === 'ova' ? [pkg.path] : [pkg.path, ...sys.disks.map((d) => pkg.files.get(d.href)!.file)];
  const out: SourceFingerprint['files'] = [];
  for (const f of files) {
    const st = statSync(f);
    const bytes = fileBytes(f);
    try {
      out.push({
        file: relative(dirname(pkg.path), f),
        size: st.size,
        mtime_ms: Math.floor(st.mtimeMs),
        sample_sha256: await sampledHash((o, n) => bytes.read(o, n), st.size, SAMPLES),
      });
    } finally {
      bytes.close();
    }
  }
  return { files: out, descriptor_sha256: pkg.descriptor_sha256 };
}

async function diskFacts(pkg: OvfPackage, sys: OvfSystem): Promise<DiskFacts[]> {
  const reader = packageReader(pkg);
  const facts: DiskFacts[] = [];
  for (const d of sys.disks) {
    const [top] = await walkChain(reader, d.href);
    facts.push({
      name: d.href,
      format: top.format,
      virtual_bytes: top.descriptor ? virtualBytes(top.descriptor) : d.capacity_bytes,
      allocated_bytes: pkg.files.get(d.href)!.size,
      chain: [{ file: d.href, format: top.format, data_files: [d.href] }],
    });
  }
  return facts;
}

/** Each disk as a file libguestfs can open read-only: the file itself, or the archive member's
 *  bytes served by nbdkit's offset filter and mounted with nbdfuse (no extraction). */
async function openDisks(pkg: OvfPackage, sys: OvfSystem, formats: string[]): Promise<InspectionDisks> {
  if (pkg.kind === 'ovf')
    return {
      disks: sys.disks.map((d, i) => ({ path: pkg.files.get(d.href)!.file, format: formats[i] })),
      explain: async (e) => e,
      close: async () => 0,
    };
  const dir = mkdtempSync(join(tmpdir(), 'h2k-ova-'));
  const nbd = new NbdMounts(dir, 'npm run setup installs nbdkit (with its offset filter) and nbdfuse');
  const close = async () => {
    const bytes = await nbd.close();
    rmSync(dir, { recursive: true, force: true });
    return bytes;
  };
  try {
    const disks = [];
    for (const [i, d] of sys.disks.entries()) {
      const f = pkg.files.get(d.href)!;
      // Where the member lies is known from the headers (tar.ts): nbdkit's tar filter would find it
      // again by running tar over the archive from its start, reading every member before it.
      const params = [`file=${pkg.path}`, `offset=${f.offset}`, `range=${f.size}`];
      const path = await nbd.mount({ plugin: 'file', filters: ['offset'], params }, basename(d.href));
      disks.push({ path, format: formats[i] });
    }
    return { disks, explain: async (e) => e, close };
  } catch (err) {
    await close();
    throw err;
  }
}

export async function ovaVmFacts(pkg: OvfPackage, sys: OvfSystem, opts: { inspect: boolean }): Promise<SourceVmFacts> {
  const facts = await diskFacts(pkg, sys);
  return {
    source: ovaSourceFacts(pkg, sys),
    disks: facts,
    hardware: ovaHardware(sys),
    fingerprint: await packageFingerprint(pkg, sys),
    ...(opts.inspect
      ? {
          open: () =>
            openDisks(
              pkg,
              sys,
              facts.map((f) => f.format),
            ),
        }
      : {}),
  };
}
