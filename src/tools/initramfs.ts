// The file names inside an initramfs, read from its bytes: a sequence of cpio archives (newc), each
// either plain (the early microcode part) or compressed (the main part: gzip, zstd, xz, lz4, bzip2,
// lzma), concatenated. Decompression uses the host's tools; the walk is ours, so one reader serves
// initramfs-tools and dracut images alike. Used to tell whether an initramfs already carries the
// virtio drivers, so it is not rebuilt for nothing.
import { UserError } from '../util/errors.js';
import { decompress, decompressorFor } from './decompress.js';
import { requireTool } from './known-tools.js';

const align4 = (n: number) => (n + 3) & ~3;

/** Walks the newc archives at the start of `b` into `names`; returns where the plain part ends. */
function walkCpio(b: Buffer, names: string[]): number {
  let off = 0;
  for (;;) {
    while (off < b.length && b[off] === 0) off++; // padding between archives
    if (off + 110 > b.length) return off;
    const magic = b.toString('latin1', off, off + 6);
    if (magic !== '070701' && magic !== '070702') return off;
    const hex = (o: number) => parseInt(b.toString('latin1', off + o, off + o + 8), 16);
    const size = hex(54);
    const nameSize = hex(94);
    const name = b.toString('utf8', off + 110, off + 110 + nameSize - 1);
    off = align4(off + 110 + nameSize);
    off = align4(off + size);
    if (name !== 'TRAILER!!!') names.push(name.replace(/^\.\//, ''));
  }
}

export async function initramfsFiles(bytes: Buffer): Promise<string[]> {
  const names: string[] = [];
  let rest = bytes;
  for (let depth = 0; depth < 8 && rest.length; depth++) {
    const end = walkCpio(rest, names);
    if (end >= rest.length) break;
    const tail = rest.subarray(end);
    const tool = decompressorFor(tail);
    if (!tool) throw new UserError('the initramfs has a part in a format h2k cannot read', 'run with --debug');
    requireTool(tool[0]);
    const out = await decompress(tool, tail);
    if (out.length === 0)
      throw new UserError(`${tool[0]} could not decompress the initramfs`, `install ${tool[0]} (npm run setup)`);
    rest = out;
  }
  return names.sort();
}
