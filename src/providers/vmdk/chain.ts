// Resolves a local disk file into its full chain (VMDK descriptor → extents → parent deltas, or
// qcow2 → backing files), refusing hostile layouts before any tool follows a path: extents or
// parents outside the disk's directory, absolute paths (unless the source allows them), parent
// loops, broken CID chains, and extents that claim more data than their file holds.
import { closeSync, existsSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import {
  type VmdkDescriptor,
  VmdkDescriptorError,
  embeddedDescriptorLocation,
  hasParent,
  parseVmdkDescriptor,
} from './descriptor.js';
import { UserError } from '../../util/errors.js';

/** A failure the user can act on: one line and a hint. */
export class DiskChainError extends UserError {
  declare readonly hint: string;
}

export interface ChainLink {
  /** Absolute path of this layer's entry file (descriptor or image). */
  path: string;
  kind: 'vmdk' | 'other';
  descriptor?: VmdkDescriptor;
  /** Absolute paths of the files holding this layer's data (extents; the file itself otherwise). */
  dataFiles: string[];
}

const MAX_DESCRIPTOR = 64 * 1024;

function readHead(path: string, length: number, position = 0): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const n = readSync(fd, buf, 0, length, position);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** The descriptor of a VMDK file, or undefined when the file is not a VMDK. */
export function readVmdkDescriptor(path: string): VmdkDescriptor | undefined {
  return readDescriptor(path)?.descriptor;
}

/** With `embedded`: the descriptor lives inside a sparse file, whose data is the file itself. */
function readDescriptor(path: string): { descriptor: VmdkDescriptor; embedded: boolean } | undefined {
  const head = readHead(path, 512);
  const embedded = embeddedDescriptorLocation(head);
  let text: string;
  if (embedded) text = readHead(path, Math.min(embedded.length, MAX_DESCRIPTOR), embedded.offset).toString('latin1');
  else {
    const start = readHead(path, Math.min(statSync(path).size, MAX_DESCRIPTOR)).toString('latin1');
    if (!/^\s*#\s*Disk DescriptorFile/i.test(start)) return undefined;
    text = start;
  }
  try {
    return { descriptor: parseVmdkDescriptor(text), embedded: embedded !== undefined };
  } catch (err) {
    if (err instanceof VmdkDescriptorError)
      throw new DiskChainError(
        `${path}: malformed VMDK descriptor: ${err.message}`,
        'the file is damaged or not a VMDK; re-export it from vSphere',
      );
    throw err;
  }
}

export function resolveChain(entry: string, opts: { allowAbsolute: boolean }): ChainLink[] {
  const chain: ChainLink[] = [];
  const seen = new Set<string>();
  const baseDir = dirname(resolve(entry));
  let current = resolve(entry);
  let child: VmdkDescriptor | undefined;
  while (true) {
    if (!existsSync(current))
      throw new DiskChainError(
        `disk file ${current} does not exist`,
        chain.length
          ? `it is named as the parent of ${chain[chain.length - 1].path}`
          : "check the vm's disks and the source's directory",
      );
    const real = realpathSync(current);
    if (seen.has(real))
      throw new DiskChainError(
        `parent loop: ${current} is already part of this chain`,
        'the delta disks name each other as parents; repair the parentFileNameHint entries',
      );
    seen.add(real);
    const read = readDescriptor(current);
    if (!read) {
      chain.push({ path: current, kind: 'other', dataFiles: [current] });
      return chain;
    }
    const { descriptor, embedded } = read;
    if (child && child.parentCid !== descriptor.cid)
      throw new DiskChainError(
        `broken CID chain: ${chain[chain.length - 1].path} expects parent CID ${child.parentCid}, but ${current} has CID ${descriptor.cid}`,
        'the parent was modified after the snapshot was taken; VMware would refuse this chain too',
      );
    // A sparse file with an embedded descriptor holds its own data, whatever name its extent line
    // carries (it keeps the name the file had at export; renaming the file is fine).
    const dataFiles = embedded ? [current] : extentFiles(descriptor, current, baseDir, opts);
    chain.push({ path: current, kind: 'vmdk', descriptor, dataFiles });
    if (!hasParent(descriptor)) return chain;
    if (!descriptor.parentFileNameHint)
      throw new DiskChainError(
        `${current} is a delta disk but names no parent`,
        'the parentFileNameHint line is missing from its descriptor',
      );
    current = checkedPath(descriptor.parentFileNameHint, dirname(current), baseDir, opts, 'parent');
    child = descriptor;
  }
}

function checkedPath(
  name: string,
  dir: string,
  baseDir: string,
  opts: { allowAbsolute: boolean },
  what: string,
): string {
  if (isAbsolute(name)) {
    if (!opts.allowAbsolute)
      throw new DiskChainError(
        `${what} path ${JSON.stringify(name)} is absolute`,
        'set allow_absolute_paths = true on the local source if you trust this descriptor',
      );
    return name;
  }
  const p = resolve(dir, name);
  const rel = relative(baseDir, p);
  if (rel.startsWith('..') || isAbsolute(rel))
    throw new DiskChainError(
      `${what} path ${JSON.stringify(name)} escapes the disk's directory ${baseDir}`,
      'a descriptor may only name files next to it; this one may be hostile',
    );
  return p;
}

function extentFiles(
  descriptor: VmdkDescriptor,
  current: string,
  baseDir: string,
  opts: { allowAbsolute: boolean },
): string[] {
  const dataFiles: string[] = [];
  for (const ext of descriptor.extents) {
    if (!ext.file) continue;
    const p = checkedPath(ext.file, dirname(current), baseDir, opts, 'extent');
    if (!existsSync(p))
      throw new DiskChainError(
        `extent file ${p} named by ${current} does not exist`,
        'copy every file of the disk (descriptor and -flat/-sNNN extents) together',
      );
    const size = statSync(p).size;
    if (ext.type === 'FLAT' || ext.type === 'VMFS') {
      const need = ((ext.offset ?? 0) + ext.sectors) * 512;
      if (need > size)
        throw new DiskChainError(
          `extent ${p} is truncated: the descriptor needs ${need} bytes, the file has ${size}`,
          'the copy was interrupted; copy the -flat file again',
        );
    }
    if (ext.type === 'VMFSRDM' || ext.type === 'VMFSRAW')
      throw new DiskChainError(
        `${current} is a raw device mapping (${ext.type})`,
        'RDM disks have no data in the datastore; copy the LUN to a file first',
      );
    if (!dataFiles.includes(p)) dataFiles.push(p);
  }
  return dataFiles;
}
