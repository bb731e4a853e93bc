// A vSphere disk's chain, read from the datastore without downloading it: for each layer, its
// header (one Range request) and descriptor, then its parent. The same hostile-layout rules as for
// local disks apply: every file must sit in the disk's own datastore directory, named relatively,
// and each delta's parent CID must match.
import { posix } from 'node:path';
import { sha256 } from '../../util/hash.js';
import { DiskChainError } from '../vmdk/chain.js';
import { sampleOffsets } from '../local/disk-facts.js';
import {
  type VmdkDescriptor,
  VmdkDescriptorError,
  embeddedDescriptorLocation,
  hasParent,
  parseVmdkDescriptor,
} from '../vmdk/descriptor.js';
import type { VsphereSourceConfig } from '../../schema/config.js';
import { type DatastoreClient, type DatastoreFile, datastoreUrl } from './datastore.js';

const MAX_DESCRIPTOR = 64 * 1024;

export interface RemoteLayer {
  /** The layer's entry file (descriptor or sparse file), relative to the disk's directory. */
  file: string;
  descriptor: VmdkDescriptor;
  /** The files holding this layer's data: the entry itself when its descriptor is embedded. */
  dataFiles: string[];
  /** Every file of the layer (entry first) with its size: what FETCH downloads. */
  files: RemoteFile[];
}

export interface RemoteFile {
  file: string;
  size: number;
  lastModified: string;
  /** sha256 of sampled blocks, as for local disks: a same-size replacement within the same second
   *  of Last-Modified is still caught (16 × 4 KiB read per file). */
  sampleSha256: string;
}

const REMOTE_SAMPLES = 16;

type Reader = (url: string, offset: number, length: number) => Promise<Buffer>;

async function sampled(read: Reader, url: string, size: number): Promise<string> {
  const { offsets, length } = sampleOffsets(size, REMOTE_SAMPLES);
  const parts = await Promise.all(offsets.map((o) => read(url, o, Math.min(length, size - o))));
  return sha256(Buffer.concat(parts));
}

export interface RemoteChain {
  /** The disk's datastore directory. */
  dir: DatastoreFile;
  layers: RemoteLayer[];
  /** Bytes read to learn all this (headers, descriptors, samples). */
  bytesRead: number;
}

function sameDir(name: string, what: string, entry: string): string {
  if (name.includes('/') || name === '..' || name === '.' || name.startsWith('[')) {
    throw new DiskChainError(
      `${entry}: ${what} ${JSON.stringify(name)} is not a file next to it`,
      'h2k reads a disk chain only from one datastore directory; consolidate the snapshots (or storage-vMotion the VM) first',
    );
  }
  return name;
}

/** A file of the chain's directory, as a datastore path and as a URL. */
export function chainFile(
  source: VsphereSourceConfig,
  dir: DatastoreFile,
  file: string,
): { path: string; url: string } {
  const path = dir.path ? `${dir.path}/${file}` : file;
  return { path, url: datastoreUrl(source, { ...dir, path }) };
}

export async function resolveRemoteChain(http: DatastoreClient, disk: DatastoreFile): Promise<RemoteChain> {
  const dir = { ...disk, path: posix.dirname(disk.path) === '.' ? '' : posix.dirname(disk.path) };
  const at = (file: string) => chainFile(http.source, dir, file).url;
  let bytesRead = 0;
  const read: Reader = async (url, offset, length) => {
    const b = await http.read(url, offset, length);
    bytesRead += b.length;
    return b;
  };
  const layers: RemoteLayer[] = [];
  let file = posix.basename(disk.path);
  let child: VmdkDescriptor | undefined;
  const seen = new Set<string>();
  while (true) {
    const shown = `[${disk.datastore}] ${dir.path ? `${dir.path}/` : ''}${file}`;
    if (seen.has(file))
      throw new DiskChainError(
        `parent loop: ${shown} is already part of this chain`,
        'the delta disks name each other as parents; repair the parentFileNameHint entries',
      );
    seen.add(file);
    const meta = await http.size(at(file));
    const head = await read(at(file), 0, 512);
    const embedded = embeddedDescriptorLocation(head);
    let text: string;
    if (embedded)
      text = (await read(at(file), embedded.offset, Math.min(embedded.length, MAX_DESCRIPTOR))).toString('latin1');
    else {
      if (meta.size > MAX_DESCRIPTOR)
        throw new DiskChainError(
          `${shown} is neither a VMDK descriptor nor a sparse VMDK`,
          "h2k converts VMDK disks; check the VM's disk backing",
        );
      text = (await read(at(file), 0, meta.size)).toString('latin1');
    }
    let descriptor: VmdkDescriptor;
    try {
      descriptor = parseVmdkDescriptor(text);
    } catch (err) {
      if (err instanceof VmdkDescriptorError)
        throw new DiskChainError(
          `${shown}: malformed VMDK descriptor: ${err.message}`,
          'the file is damaged or not a VMDK',
        );
      throw err;
    }
    if (child && child.parentCid !== descriptor.cid)
      throw new DiskChainError(
        `broken CID chain: ${layers[layers.length - 1].file} expects parent CID ${child.parentCid}, but ${file} has CID ${descriptor.cid}`,
        'the parent was modified after the snapshot was taken; VMware would refuse this chain too',
      );
    const files: RemoteFile[] = [{ file, ...meta, sampleSha256: await sampled(read, at(file), meta.size) }];
    const dataFiles: string[] = [];
    if (embedded) dataFiles.push(file);
    else {
      for (const ext of descriptor.extents) {
        if (ext.type === 'VMFSRDM' || ext.type === 'VMFSRAW')
          throw new DiskChainError(
            `${shown} is a raw device mapping`,
            'RDM disks have no data in the datastore; copy the LUN to a virtual disk first',
          );
        if (!ext.file || dataFiles.includes(ext.file)) continue;
        const name = sameDir(ext.file, 'extent', shown);
        const data = await http.size(at(name));
        const need = ((ext.offset ?? 0) + ext.sectors) * 512;
        if ((ext.type === 'FLAT' || ext.type === 'VMFS') && data.size < need)
          throw new DiskChainError(
            `extent ${name} is truncated: the descriptor needs ${need} bytes, the file has ${data.size}`,
            'the disk is damaged in the datastore',
          );
        dataFiles.push(name);
        files.push({ file: name, ...data, sampleSha256: await sampled(read, at(name), data.size) });
      }
    }
    layers.push({ file, descriptor, dataFiles, files });
    if (!hasParent(descriptor)) return { dir, layers, bytesRead };
    if (!descriptor.parentFileNameHint)
      throw new DiskChainError(
        `${shown} is a delta disk but names no parent`,
        'the parentFileNameHint line is missing from its descriptor',
      );
    file = sameDir(descriptor.parentFileNameHint, 'parent', shown);
    child = descriptor;
  }
}
