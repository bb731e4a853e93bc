// Facts and fingerprint of a local VM's disks: their chains (checked by our own descriptor parser
// before qemu follows any path), sizes, and a fingerprint cheap enough to take on every plan yet
// sensitive to a replaced or written disk.
import { statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { sha256 } from '../../util/hash.js';
import type { DiskFacts, SourceFingerprint } from '../../model/facts.js';
import type { LocalSourceConfig } from './config.js';
import { checkImage, dataBytes, infoChain } from '../../tools/qemu-img.js';
import { sampledHash } from '../sampling.js';
import { DiskChainError } from '../disk-chain/errors.js';
import { fileReader, resolveChain } from '../disk-chain/file-reader.js';
import { wwnOf } from '../disk-chain/descriptor.js';

/** Formats whose metadata qemu-img check can verify. */
const CHECKED = ['vmdk', 'qcow2', 'vhdx'];
const isSparse = (e: { type: string }) => e.type === 'SPARSE' || e.type === 'VMFSSPARSE' || e.type === 'SESPARSE';

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
      // Sparse data (monolithicSparse, streamOptimized, deltas, qcow2, VHDX) is checked for
      // truncation here; flat extents were checked against their declared size by resolveChain.
      if (CHECKED.includes(link.format) && (link.format !== 'vmdk' || link.descriptor!.extents.some(isSparse))) {
        const problem = await checkImage(link.file, link.format);
        if (problem)
          throw new DiskChainError(
            `${link.file} is damaged or truncated: ${problem}`,
            'copy the disk again from its source',
          );
      }
    }
    let info;
    try {
      // The format is the one read from the file's bytes: qemu never guesses.
      info = await infoChain(entry, chain[0].format);
    } catch (err) {
      throw new DiskChainError(
        `qemu-img cannot read ${entry}: ${(err as Error).message}`,
        'the file is damaged, truncated, or not a disk image',
      );
    }
    const seen = info.map((i) => i.format).join(' ← ');
    const read = chain.map((l) => l.format).join(' ← ');
    if (seen !== read)
      throw new DiskChainError(
        `${entry}: qemu-img reads the chain as ${seen}, but its files hold ${read}`,
        "a layer names its parent's format wrongly; rebase it with qemu-img rebase -F",
      );
    paths.push({ path: entry, format: info[0].format });
    facts.push({
      name,
      format: info[0].format,
      virtual_bytes: info[0]['virtual-size'],
      allocated_bytes: await dataBytes(entry, info[0].format),
      chain: chain.map((link, i) => ({
        file: rel(link.file),
        format: info[i].format,
        data_files: link.dataFiles.map(rel),
      })),
      ...wwnOf(chain[0].descriptor),
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
