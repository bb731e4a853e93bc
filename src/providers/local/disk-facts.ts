// Facts and fingerprint of a local VM's disks: their chains (checked by our own descriptor parser
// before qemu follows any path), sizes, and a fingerprint cheap enough to take on every plan yet
// sensitive to a replaced or written disk.
import { statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { sha256 } from '../../util/hash.js';
import type { DiskFacts, SourceFingerprint } from '../../model/facts.js';
import type { LocalSourceConfig } from './config.js';
import { checkImage, infoChain } from '../../tools/qemu-img.js';
import { sampledHash } from '../sampling.js';
import { DiskChainError } from '../vmdk/chain.js';
import { fileReader, resolveChain } from '../vmdk/file-reader.js';

/** Samples per file: local reads are cheap. */
const SAMPLES = 64;

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
    const chain = await resolveChain(entry, { allowAbsolute: source.allow_absolute_paths });
    for (const link of chain) {
      if (link.descriptor) descriptors.push(JSON.stringify(link.descriptor));
      // Sparse data (monolithicSparse, streamOptimized, deltas) is checked for truncation here;
      // flat extents were checked against their declared size by resolveChain.
      if (
        link.kind === 'vmdk' &&
        link.descriptor!.extents.some((e) => e.type === 'SPARSE' || e.type === 'VMFSSPARSE' || e.type === 'SESPARSE')
      ) {
        const problem = await checkImage(link.file, 'vmdk');
        if (problem)
          throw new DiskChainError(
            `${link.file} is damaged or truncated: ${problem}`,
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
        file: rel(link.file),
        format: info[i].format,
        data_files: link.dataFiles.map(rel),
      })),
    });
    const reader = fileReader(entry, { allowAbsolute: source.allow_absolute_paths });
    for (const link of chain) {
      for (const f of new Set([link.file, ...link.dataFiles])) {
        if (files.some((x) => x.file === rel(f))) continue;
        const st = statSync(f);
        files.push({
          file: rel(f),
          size: st.size,
          mtime_ms: Math.floor(st.mtimeMs),
          sample_sha256: await sampledHash((o, n) => reader.read(f, o, n), st.size, SAMPLES),
        });
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
