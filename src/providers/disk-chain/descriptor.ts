// VMDK descriptors: the text that says which extent files hold a disk's data and which parent a
// delta disk sits on. Parsed by us (not qemu) so a hostile descriptor is refused before any tool
// follows its paths. Pure: text in, structure out.

export interface VmdkExtent {
  access: 'RW' | 'RDONLY' | 'NOACCESS';
  /** Size in 512-byte sectors. */
  sectors: number;
  type: 'FLAT' | 'SPARSE' | 'ZERO' | 'VMFS' | 'VMFSSPARSE' | 'VMFSRDM' | 'VMFSRAW' | 'SESPARSE';
  file?: string;
  /** FLAT extents: where the data starts in the file, in sectors. */
  offset?: number;
}

export interface VmdkDescriptor {
  version: number;
  cid: string;
  parentCid: string;
  createType: string;
  parentFileNameHint?: string;
  extents: VmdkExtent[];
  ddb: Record<string, string>;
}

export class VmdkDescriptorError extends Error {}

const EXTENT_TYPES = 'FLAT|SPARSE|ZERO|VMFS|VMFSSPARSE|VMFSRDM|VMFSRAW|SESPARSE';
/** access, sectors, type, then an optional quoted file name and an optional offset. */
const EXTENT_RE = new RegExp(
  `^(RW|RDONLY|NOACCESS)\\s+(\\d+)\\s+(${EXTENT_TYPES})(?:\\s+"((?:[^"\\\\]|\\\\.)*)"(?:\\s+(\\d+))?)?\\s*$`,
);
const NO_PARENT = 'ffffffff';

export function parseVmdkDescriptor(text: string): VmdkDescriptor {
  const fields: Record<string, string> = {};
  const extents: VmdkExtent[] = [];
  const ddb: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/\0.*$/, '').trim();
    if (line === '' || line.startsWith('#')) return;
    const ext = EXTENT_RE.exec(line);
    if (ext) {
      const [, access, sectors, type, file, offset] = ext;
      if (type !== 'ZERO' && file === undefined)
        throw new VmdkDescriptorError(`line ${i + 1}: a ${type} extent needs a file name`);
      extents.push({
        access: access as VmdkExtent['access'],
        sectors: Number(sectors),
        type: type as VmdkExtent['type'],
        ...(file !== undefined ? { file: file.replace(/\\(.)/g, '$1') } : {}),
        ...(offset !== undefined ? { offset: Number(offset) } : {}),
      });
      return;
    }
    const kv = /^([A-Za-z0-9_.]+)\s*=\s*"?(.*?)"?$/.exec(line);
    if (!kv)
      throw new VmdkDescriptorError(`line ${i + 1}: not a descriptor line: ${JSON.stringify(line.slice(0, 80))}`);
    if (kv[1].startsWith('ddb.')) ddb[kv[1]] = kv[2];
    else fields[kv[1]] = kv[2];
  });
  if (!fields.createType) throw new VmdkDescriptorError('no createType: this is not a VMDK descriptor');
  if (extents.length === 0) throw new VmdkDescriptorError('the descriptor lists no extents');
  const cid = (fields.CID ?? '').toLowerCase();
  const parentCid = (fields.parentCID ?? NO_PARENT).toLowerCase();
  if (!/^[0-9a-f]{1,8}$/.test(cid))
    throw new VmdkDescriptorError(`CID ${JSON.stringify(fields.CID ?? '')} is not a 32-bit hex number`);
  return {
    version: Number(fields.version ?? 1),
    cid,
    parentCid,
    createType: fields.createType,
    ...(fields.parentFileNameHint ? { parentFileNameHint: fields.parentFileNameHint } : {}),
    extents,
    ddb,
  };
}

/** The disk's size as the guest sees it: its extents' sectors. */
export function virtualBytes(d: VmdkDescriptor): number {
  return d.extents.reduce((n, e) => n + e.sectors, 0) * 512;
}

/** `{ wwn }` for a DiskFacts: the WWN a guest sees for the disk (VMware's NAA 6000c29…, in its
 *  /dev/disk/by-id/scsi-3… and wwn-0x… names) is the descriptor's ddb.uuid, 16 bytes, kept as 32
 *  lower-case hex digits. */
export function wwnOf(d: VmdkDescriptor | undefined): { wwn?: string } {
  const hex = (d?.ddb['ddb.uuid'] ?? '').replace(/[\s-]/g, '').toLowerCase();
  return /^[0-9a-f]{32}$/.test(hex) ? { wwn: hex } : {};
}

export function hasParent(d: VmdkDescriptor): boolean {
  return d.parentCid !== NO_PARENT;
}

/** The descriptor embedded in a monolithicSparse / streamOptimized file, from its sparse header. */
export function embeddedDescriptorLocation(header: Buffer): { offset: number; length: number } | undefined {
  if (header.length < 512 || header.readUInt32LE(0) !== 0x564d444b) return undefined; // "KDMV"
  const descriptorOffset = Number(header.readBigUInt64LE(28));
  const descriptorSize = Number(header.readBigUInt64LE(36));
  if (descriptorOffset === 0 || descriptorSize === 0) return undefined;
  return { offset: descriptorOffset * 512, length: descriptorSize * 512 };
}
