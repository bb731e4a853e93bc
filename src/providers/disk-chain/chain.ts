// A disk's chain (VMDK descriptor → extents → parent deltas; a qcow2 or VHD and the parent it
// names), walked through a reader so the same rules hold for local files and for datastore files
// read over HTTP or SFTP. Hostile layouts are refused before any tool follows a path: names the
// reader does not allow (outside the disk's directory, absolute), parent loops, broken CID chains,
// missing extents, flat extents shorter than their descriptor says, and raw device mappings.
import {
  type VmdkDescriptor,
  VmdkDescriptorError,
  embeddedDescriptorLocation,
  hasParent,
  parseVmdkDescriptor,
} from './descriptor.js';
import { DiskChainError } from './errors.js';
import { type ImageFormat, sniffImage } from './image-format.js';

/** Where the chain's files are read from: local files, or a datastore over HTTP. */
export interface ChainReader {
  /** The file a descriptor names as `name` from the layer file `from`; throws DiskChainError when refused. */
  resolve(name: string, from: string, what: 'extent' | 'parent'): string;
  /** Its size in bytes, or undefined when it does not exist. */
  size(file: string): Promise<number | undefined>;
  read(file: string, offset: number, length: number): Promise<Buffer>;
  /** The file as messages name it. */
  shown(file: string): string;
  /** What makes two names one file (parent loops). */
  identity(file: string): string;
  /** true: a file that is not a VMDK (qcow2, VHD, VHDX, raw) is a layer too; false: it is refused. */
  otherFormats: boolean;
}

export interface ChainLayer {
  /** This layer's entry file (descriptor or image), as the reader names it. */
  file: string;
  /** As qemu names it; read from the file's bytes. */
  format: 'vmdk' | ImageFormat;
  descriptor?: VmdkDescriptor;
  /** The files holding this layer's data: extents, or the file itself. */
  dataFiles: string[];
}

const MAX_DESCRIPTOR = 64 * 1024;

/** The descriptor of a file, with `embedded` when it lives inside a sparse file (whose data is the
 *  file itself); undefined when the file is not a VMDK. */
async function readDescriptor(
  reader: ChainReader,
  file: string,
  size: number,
): Promise<{ descriptor: VmdkDescriptor; embedded: boolean } | undefined> {
  const head = await reader.read(file, 0, Math.min(size, 512));
  const embedded = embeddedDescriptorLocation(head);
  let text: string;
  if (embedded)
    text = (await reader.read(file, embedded.offset, Math.min(embedded.length, MAX_DESCRIPTOR))).toString('latin1');
  else {
    text = (await reader.read(file, 0, Math.min(size, MAX_DESCRIPTOR))).toString('latin1');
    if (!/^\s*#\s*Disk DescriptorFile/i.test(text)) return undefined;
  }
  try {
    return { descriptor: parseVmdkDescriptor(text), embedded: embedded !== undefined };
  } catch (err) {
    if (err instanceof VmdkDescriptorError)
      throw new DiskChainError(
        `${reader.shown(file)}: malformed VMDK descriptor: ${err.message}`,
        'the file is damaged or not a VMDK; re-export it from vSphere',
      );
    throw err;
  }
}

async function extentFiles(reader: ChainReader, descriptor: VmdkDescriptor, file: string): Promise<string[]> {
  const dataFiles: string[] = [];
  for (const ext of descriptor.extents) {
    if (ext.type === 'VMFSRDM' || ext.type === 'VMFSRAW')
      throw new DiskChainError(
        `${reader.shown(file)} is a raw device mapping (${ext.type})`,
        'RDM disks have no data in the datastore; copy the LUN to a virtual disk first',
      );
    if (!ext.file) continue;
    const name = reader.resolve(ext.file, file, 'extent');
    if (dataFiles.includes(name)) continue;
    const size = await reader.size(name);
    if (size === undefined)
      throw new DiskChainError(
        `extent file ${reader.shown(name)} named by ${reader.shown(file)} does not exist`,
        'copy every file of the disk (descriptor and -flat/-sNNN extents) together',
      );
    const need = ((ext.offset ?? 0) + ext.sectors) * 512;
    if ((ext.type === 'FLAT' || ext.type === 'VMFS') && size < need)
      throw new DiskChainError(
        `extent ${reader.shown(name)} is truncated: the descriptor needs ${need} bytes, the file has ${size}`,
        'the copy was interrupted or the disk is damaged; copy the -flat file again',
      );
    dataFiles.push(name);
  }
  return dataFiles;
}

/** Every layer of the chain, top first. */
export async function walkChain(reader: ChainReader, entry: string): Promise<ChainLayer[]> {
  const chain: ChainLayer[] = [];
  const seen = new Set<string>();
  let file = entry;
  let child: VmdkDescriptor | undefined;
  while (true) {
    const size = await reader.size(file);
    if (size === undefined)
      throw new DiskChainError(
        `disk file ${reader.shown(file)} does not exist`,
        chain.length
          ? `it is named as the parent of ${reader.shown(chain[chain.length - 1].file)}`
          : "check the vm's disks and the source's directory",
      );
    const id = reader.identity(file);
    if (seen.has(id))
      throw new DiskChainError(
        `parent loop: ${reader.shown(file)} is already part of this chain`,
        'the delta disks name each other as parents; repair the parentFileNameHint entries',
      );
    seen.add(id);
    const read = await readDescriptor(reader, file, size);
    if (!read) {
      if (!reader.otherFormats)
        throw new DiskChainError(
          `${reader.shown(file)} is neither a VMDK descriptor nor a sparse VMDK`,
          "h2k converts VMDK disks; check the VM's disk backing",
        );
      const image = await sniffImage({
        size,
        shown: reader.shown(file),
        read: (offset, length) => reader.read(file, offset, length),
      });
      chain.push({ file, format: image.format, dataFiles: [file] });
      if (image.parent === undefined) return chain;
      const parent = reader.resolve(image.parent, file, 'parent');
      if (image.unreadable)
        throw new DiskChainError(
          `${reader.shown(file)} is a differencing disk (parent ${image.parent})`,
          image.unreadable,
        );
      file = parent;
      child = undefined;
      continue;
    }
    const { descriptor, embedded } = read;
    if (child && child.parentCid !== descriptor.cid) {
      const below = reader.shown(chain[chain.length - 1].file);
      throw new DiskChainError(
        `broken CID chain: ${below} expects parent CID ${child.parentCid}, but ${reader.shown(file)} has CID ` +
          `${descriptor.cid}`,
        'the parent was modified after the snapshot was taken; VMware would refuse this chain too',
      );
    }
    // A sparse file with an embedded descriptor holds its own data, whatever name its extent line
    // carries (it keeps the name the file had at export; renaming the file is fine).
    const dataFiles = embedded ? [file] : await extentFiles(reader, descriptor, file);
    chain.push({ file, format: 'vmdk', descriptor, dataFiles });
    if (!hasParent(descriptor)) return chain;
    if (!descriptor.parentFileNameHint)
      throw new DiskChainError(
        `${reader.shown(file)} is a delta disk but names no parent`,
        'the parentFileNameHint line is missing from its descriptor',
      );
    file = reader.resolve(descriptor.parentFileNameHint, file, 'parent');
    child = descriptor;
  }
}
