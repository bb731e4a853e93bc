// What a disk file that is not a VMDK holds, read from its own bytes, never from its name: qcow2,
// VHD (qemu's `vpc`), VHDX or raw, and the parent a layer names. qemu is then told the format, so
// it never guesses (it would take a fixed VHD, whose signature is a footer at the end, for raw).
// The parent a qcow2 or a differencing VHD names goes through the chain reader's rules like a
// VMDK's parentFileNameHint, before any tool follows it.
import { DiskChainError } from './errors.js';

export type ImageFormat = 'qcow2' | 'vpc' | 'vhdx' | 'raw';

export interface SniffedImage {
  format: ImageFormat;
  /** The parent as the file names it (qcow2 backing file, VHD relative locator). */
  parent?: string;
  /** Why a layer cannot be converted even once its parent is found (a differencing VHD). */
  unreadable?: string;
}

export interface ByteSource {
  read(offset: number, length: number): Promise<Buffer>;
  size: number;
  shown: string;
}

/** Formats qemu would read but that no VMware or cloud export produces: refused, not taken for raw. */
const FOREIGN: { name: string; at: number; magic: Buffer }[] = [
  { name: 'VirtualBox VDI', at: 64, magic: Buffer.from([0x7f, 0x10, 0xda, 0xbe]) },
  { name: 'QED', at: 0, magic: Buffer.from('QED\0', 'latin1') },
  { name: 'LUKS-encrypted', at: 0, magic: Buffer.from([0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe]) },
  { name: 'Parallels', at: 0, magic: Buffer.from('WithoutFreeSpace', 'latin1') },
];

const QCOW2_EXTERNAL_DATA = 1n << 2n;

async function qcow2(src: ByteSource, head: Buffer): Promise<SniffedImage> {
  const version = head.readUInt32BE(4);
  if (version >= 3 && head.length >= 80 && (head.readBigUInt64BE(72) & QCOW2_EXTERNAL_DATA) !== 0n)
    throw new DiskChainError(
      `${src.shown} is a qcow2 image whose data lives in an external file`,
      'convert it to a self-contained image first: qemu-img convert -O qcow2 in out',
    );
  const offset = Number(head.readBigUInt64BE(8));
  const length = head.readUInt32BE(16);
  if (offset === 0) return { format: 'qcow2' };
  if (length === 0 || length > 1023 || offset + length > src.size)
    throw new DiskChainError(`${src.shown}: malformed qcow2 header (backing file name)`, 'the file is damaged');
  return { format: 'qcow2', parent: (await src.read(offset, length)).toString('utf8') };
}

const VHD_DIFFERENCING = 4;
/** Parent locator platform codes: relative and absolute Windows paths, UTF-16LE. */
const W2RU = 'W2ru';
const W2KU = 'W2ku';

async function vhd(src: ByteSource, footer: Buffer): Promise<SniffedImage> {
  if (footer.readUInt32BE(60) !== VHD_DIFFERENCING) return { format: 'vpc' };
  const headerAt = Number(footer.readBigUInt64BE(16));
  const header = await src.read(headerAt, 1024);
  if (header.subarray(0, 8).toString('latin1') !== 'cxsparse')
    throw new DiskChainError(`${src.shown}: malformed VHD (no dynamic disk header)`, 'the file is damaged');
  const locators: Record<string, string> = {};
  for (let i = 0; i < 8; i++) {
    const e = header.subarray(576 + i * 24, 600 + i * 24);
    const code = e.subarray(0, 4).toString('latin1');
    const length = e.readUInt32BE(8);
    const at = Number(e.readBigUInt64BE(16));
    if ((code !== W2RU && code !== W2KU) || length === 0 || length > 4096 || at + length > src.size) continue;
    locators[code] = (await src.read(at, length)).toString('utf16le').replace(/\0+$/, '');
  }
  // qemu's vpc driver reads a differencing VHD as a standalone one: the parent's data would be zeros.
  const unreadable =
    "qemu ignores a differencing VHD's parent (its data would read as zeros); merge it first (Hyper-V: Merge-VHD)";
  const relative = locators[W2RU];
  if (relative !== undefined) return { format: 'vpc', parent: relative.replace(/\\/g, '/'), unreadable };
  const absolute = locators[W2KU];
  throw new DiskChainError(
    `${src.shown} is a differencing VHD whose parent is ` +
      (absolute ? `the absolute Windows path ${absolute}` : 'unnamed'),
    unreadable,
  );
}

/** Metadata region and File Parameters item GUIDs, as stored (mixed-endian). */
const VHDX_METADATA_REGION = Buffer.from('06a27c8b90479a4bb8fe575f050f886e', 'hex');
const VHDX_FILE_PARAMETERS = Buffer.from('3767a1ca36fa434db3b633f0aa44e76b', 'hex');
const VHDX_HAS_PARENT = 2;

async function vhdx(src: ByteSource): Promise<SniffedImage> {
  const damaged = new DiskChainError(`${src.shown}: malformed VHDX (region or metadata table)`, 'the file is damaged');
  const regions = await src.read(192 * 1024, 64 * 1024);
  if (regions.subarray(0, 4).toString('latin1') !== 'regi') throw damaged;
  const count = Math.min(regions.readUInt32LE(8), 2047);
  for (let i = 0; i < count; i++) {
    const e = regions.subarray(16 + i * 32, 48 + i * 32);
    if (!e.subarray(0, 16).equals(VHDX_METADATA_REGION)) continue;
    const at = Number(e.readBigUInt64LE(16));
    const table = await src.read(at, 64 * 1024);
    if (table.subarray(0, 8).toString('latin1') !== 'metadata') throw damaged;
    for (let j = 0; j < Math.min(table.readUInt16LE(10), 2047); j++) {
      const item = table.subarray(32 + j * 32, 64 + j * 32);
      if (!item.subarray(0, 16).equals(VHDX_FILE_PARAMETERS)) continue;
      const params = await src.read(at + item.readUInt32LE(16), 8);
      if (params.readUInt32LE(4) & VHDX_HAS_PARENT)
        throw new DiskChainError(
          `${src.shown} is a differencing VHDX`,
          'h2k does not read differencing VHDX files; merge it into its parent first (Hyper-V: Merge-VHD)',
        );
      return { format: 'vhdx' };
    }
  }
  throw damaged;
}

/** The format of a disk file that is not a VMDK, from its first and last bytes. */
export async function sniffImage(src: ByteSource): Promise<SniffedImage> {
  const head = await src.read(0, Math.min(src.size, 512));
  const magic = head.subarray(0, 8).toString('latin1');
  if (magic.startsWith('QFI\xfb')) return qcow2(src, head);
  if (magic === 'vhdxfile') return vhdx(src);
  // A VHD's footer is its last sector; dynamic disks also keep a copy of it at the start.
  if (magic === 'conectix') return vhd(src, head);
  if (src.size >= 512) {
    const tail = await src.read(src.size - 512, 512);
    if (tail.subarray(0, 8).toString('latin1') === 'conectix') return vhd(src, tail);
  }
  for (const f of FOREIGN)
    if (head.length >= f.at + f.magic.length && head.subarray(f.at, f.at + f.magic.length).equals(f.magic))
      throw new DiskChainError(
        `${src.shown} is a ${f.name} image`,
        'h2k reads VMDK, VHD, VHDX, qcow2 and raw disks; convert it with qemu-img convert -O qcow2 first',
      );
  return { format: 'raw' };
}
