// Whether Windows left an NTFS volume safe to change offline, from its own on-disk state. PURE over
// the bytes read: the boot sector, the $Volume record of the MFT, the first bytes of hiberfil.sys.

/** Where $Volume's MFT record lies, from the boot sector; undefined if this is not NTFS. */
export function volumeRecordRange(boot: Buffer): { offset: number; size: number } | undefined {
  if (boot.length < 512 || boot.toString('latin1', 3, 11) !== 'NTFS    ') return undefined;
  const sector = boot.readUInt16LE(0x0b);
  const cluster = sector * boot.readUInt8(0x0d);
  const perRecord = boot.readInt8(0x40);
  const size = perRecord < 0 ? 2 ** -perRecord : perRecord * cluster;
  const mft = Number(boot.readBigUInt64LE(0x30)) * cluster;
  return { offset: mft + 3 * size, size };
}

/** VOLUME_INFORMATION's dirty flag in the $Volume record; undefined if the record cannot be read. */
export function volumeDirty(record: Buffer, sectorSize = 512): boolean | undefined {
  if (record.toString('latin1', 0, 4) !== 'FILE') return undefined;
  const r = Buffer.from(record);
  // Update sequence fixups: the last two bytes of every sector were swapped out on write.
  const usa = r.readUInt16LE(4);
  const count = r.readUInt16LE(6);
  for (let i = 1; i < count; i++) {
    const end = i * sectorSize - 2;
    if (end + 2 > r.length) break;
    r.writeUInt16LE(r.readUInt16LE(usa + 2 * i), end);
  }
  let at = r.readUInt16LE(0x14);
  while (at + 8 <= r.length) {
    const type = r.readUInt32LE(at);
    const length = r.readUInt32LE(at + 4);
    if (type === 0xffffffff || length === 0) return undefined;
    if (type === 0x70 && r.readUInt8(at + 8) === 0) {
      const value = at + r.readUInt16LE(at + 0x14);
      return (r.readUInt16LE(value + 10) & 0x0001) !== 0;
    }
    at += length;
  }
  return undefined;
}

/** hiberfil.sys begins "HIBR" (or "hibr") while it holds a hibernated system or a Fast Startup
 *  image; "wake" or zeros once Windows resumed. */
export function hibernated(head: Buffer | undefined): boolean {
  return head !== undefined && head.length >= 4 && head.toString('latin1', 0, 4).toLowerCase() === 'hibr';
}
