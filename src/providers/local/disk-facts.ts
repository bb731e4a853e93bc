// Facts and fingerprint of a local VM's disks: their chains (checked by our own descriptor parser
// before qemu follows any path), sizes, and a fingerprint cheap enough to take on every plan yet
// sensitive to a replaced or written disk.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { sha256 } from '../../util/hash.js';
import type { DiskFacts, SourceFingerprint } from '../../model/facts.js';
import type { LocalSourceConfig } from '../../schema/config.js';
import { checkImage, infoChain } from '../../tools/qemu-img.js';
import { DiskChainError, resolveChain } from '../vmdk/chain.js';

const SAMPLES = 64;
const SAMPLE_BYTES = 4096;

/** Where a sampled hash reads: both ends and evenly spaced blocks between. Local and remote
 *  fingerprints take the same samples. */
export function sampleOffsets(size: number, samples = SAMPLES): { offsets: number[]; length: number } {
  const offsets = new Set<number>([0, Math.max(0, size - SAMPLE_BYTES)]);
  for (let i = 1; i < samples; i++) offsets.add(Math.floor(((size / samples) * i) / SAMPLE_BYTES) * SAMPLE_BYTES);
  return { offsets: [...offsets].sort((a, b) => a - b), length: SAMPLE_BYTES };
}

/** sha256 over evenly spaced samples (and both ends) of a file: catches writes without reading it all. */
export function sampleHash(path: string): string {
  const size = statSync(path).size;
  const h = [] as Buffer[];
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(SAMPLE_BYTES);
    for (const off of sampleOffsets(size).offsets) {
      const n = readSync(fd, buf, 0, SAMPLE_BYTES, off);
      h.push(Buffer.from(buf.subarray(0, n)));
    }
  } finally {
    closeSync(fd);
  }
  return sha256(Buffer.concat(h));
}

export interface LocalDisks {
  facts: DiskFacts[];
  fingerprint: SourceFingerprint;
  /** Absolute entry files, boot disk first, for the tools. */
  paths: { path: string; format: string }[];
}

export async function localDisks(source: LocalSourceConfig, disks: string[]): Promise<LocalDisks> {
  const facts: DiskFacts[] = [];
  const files: SourceFingerprint['files'] = [];
  const descriptors: string[] = [];
  const paths: LocalDisks['paths'] = [];
  const rel = (p: string) => relative(source.directory, p);
  for (const name of disks) {
    const entry = resolve(source.directory, name);
    const chain = resolveChain(entry, { allowAbsolute: source.allow_absolute_paths });
    for (const link of chain) {
      if (link.descriptor) descriptors.push(JSON.stringify(link.descriptor));
      // Sparse data (monolithicSparse, streamOptimized, deltas) is checked for truncation here;
      // flat extents were checked against their declared size by resolveChain.
      if (
        link.kind === 'vmdk' &&
        link.descriptor!.extents.some((e) => e.type === 'SPARSE' || e.type === 'VMFSSPARSE' || e.type === 'SESPARSE')
      ) {
        const problem = await checkImage(link.path, 'vmdk');
        if (problem)
          throw new DiskChainError(
            `${link.path} is damaged or truncated: ${problem}`,
            'copy the disk again from its source',
          );
      }
    }
    let info;
    try {
      info = await infoChain(entry);
    } catch (err) {
      throw new DiskChainError(
        `qemu-img cannot read ${entry}: ${(err as Error).message}`,
        'the file is damaged, truncated, or not a disk image',
      );
    }
    if (info.length !== chain.length)
      throw new DiskChainError(
        `${entry}: qemu-img sees ${info.length} layer(s) but the descriptors name ${chain.length}`,
        'the chain is inconsistent; re-export the VM',
      );
    paths.push({ path: entry, format: info[0].format });
    facts.push({
      name,
      format: info[0].format,
      virtual_bytes: info[0]['virtual-size'],
      allocated_bytes: info.reduce((n, i) => n + (i['actual-size'] ?? 0), 0),
      chain: chain.map((link, i) => ({
        file: rel(link.path),
        format: info[i].format,
        data_files: link.dataFiles.map(rel),
      })),
    });
    for (const link of chain) {
      for (const f of new Set([link.path, ...link.dataFiles])) {
        if (files.some((x) => x.file === rel(f))) continue;
        const st = statSync(f);
        files.push({ file: rel(f), size: st.size, mtime_ms: Math.floor(st.mtimeMs), sample_sha256: sampleHash(f) });
      }
    }
  }
  return {
    facts,
    fingerprint: {
      files: files.sort((a, b) => (a.file < b.file ? -1 : 1)),
      descriptor_sha256: sha256(descriptors.join('\n')),
    },
    paths,
  };
}
