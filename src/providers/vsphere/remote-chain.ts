// A vSphere disk's chain, read from the datastore without downloading it: the one chain walker
// (../disk-chain/chain.ts) over HTTP Range reads, with the same refusals as for local disks; every file
// must sit in the disk's own datastore directory. Each file also gets a sampled hash (16 × 4 KiB),
// which FETCH compares before copying.
import { posix } from 'node:path';
import type { VsphereSourceConfig } from './config.js';
import { sampledHash } from '../sampling.js';
import { type ChainReader, walkChain } from '../disk-chain/chain.js';
import { DiskChainError } from '../disk-chain/errors.js';
import type { VmdkDescriptor } from '../disk-chain/descriptor.js';
import { type DatastoreClient, type DatastoreFile, HttpStatusError, datastoreUrl } from './datastore.js';

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
      'h2k reads a disk chain only from one datastore directory; consolidate the snapshots (or storage-vMotion ' +
        'the VM) first',
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

/** The chain reader for a datastore directory: every file must sit next to the disk, named relatively. */
function datastoreReader(http: DatastoreClient, disk: DatastoreFile, dir: DatastoreFile, counter: { bytes: number }) {
  const meta = new Map<string, { size: number; lastModified: string }>();
  const at = (file: string) => chainFile(http.source, dir, file).url;
  const shown = (file: string) => `[${disk.datastore}] ${dir.path ? `${dir.path}/` : ''}${file}`;
  const reader: ChainReader = {
    otherFormats: false,
    resolve: (name, from, what) => sameDir(name, what, shown(from)),
    async size(file) {
      try {
        const m = await http.size(at(file));
        meta.set(file, m);
        return m.size;
      } catch (err) {
        if (err instanceof HttpStatusError && err.status === 404) return undefined;
        throw err;
      }
    },
    async read(file, offset, length) {
      const b = await http.read(at(file), offset, length);
      counter.bytes += b.length;
      return b;
    },
    shown,
    identity: (file) => file,
  };
  return { reader, meta };
}

export async function resolveRemoteChain(http: DatastoreClient, disk: DatastoreFile): Promise<RemoteChain> {
  const dir = { ...disk, path: posix.dirname(disk.path) === '.' ? '' : posix.dirname(disk.path) };
  const counter = { bytes: 0 };
  const { reader, meta } = datastoreReader(http, disk, dir, counter);
  const chain = await walkChain(reader, posix.basename(disk.path));
  const layers: RemoteLayer[] = [];
  for (const layer of chain) {
    const files: RemoteFile[] = [];
    for (const file of [layer.file, ...layer.dataFiles.filter((f) => f !== layer.file)]) {
      const m = meta.get(file)!;
      const read = (offset: number, length: number) => reader.read(file, offset, length);
      files.push({ file, ...m, sampleSha256: await sampledHash(read, m.size, REMOTE_SAMPLES) });
    }
    layers.push({ file: layer.file, descriptor: layer.descriptor!, dataFiles: layer.dataFiles, files });
  }
  return { dir, layers, bytesRead: counter.bytes };
}
