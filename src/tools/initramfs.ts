// The file names inside an initramfs, read from its bytes: a sequence of cpio archives (newc), each
// either plain (the early microcode part) or compressed (the main part: gzip, zstd, xz, lz4, bzip2,
// lzma), concatenated. Decompression uses the host's tools; the walk is ours, so one reader serves
// initramfs-tools and dracut images alike. Used to tell whether an initramfs already carries the
// virtio drivers, so it is not rebuilt for nothing.
import { spawn } from 'node:child_process';
import { UserError } from '../util/errors.js';
import { requireTool } from './known-tools.js';

const COMPRESSORS: [Buffer, string[]][] = [
  [Buffer.from([0x1f, 0x8b]), ['gzip', '-dc']],
  [Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), ['zstd', '-dcq']],
  [Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), ['xz', '-dc']],
  [Buffer.from([0x02, 0x21, 0x4c, 0x18]), ['lz4', '-dc']],
  [Buffer.from('BZh'), ['bzip2', '-dc']],
  [Buffer.from([0x5d, 0x00, 0x00]), ['xz', '--format=lzma', '-dc']],
];

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
    const tool = COMPRESSORS.find(([magic]) => tail.subarray(0, magic.length).equals(magic));
    if (!tool) throw new UserError('the initramfs has a part in a format h2k cannot read', 'run with --debug');
    requireTool(tool[1][0]);
    const out = await decompress(tool[1], tail);
    // A decompressor may complain about trailing padding after the stream; what it decoded counts.
    if (out.length === 0)
      throw new UserError(`${tool[1][0]} could not decompress the initramfs`, `install ${tool[1][0]} (npm run setup)`);
    rest = out;
  }
  return names.sort();
}

/** stdout of a decompressor fed `input` (chunks joined once: the output is a hundred MB or more). */
function decompress([cmd, ...args]: string[], input: Buffer): Promise<Buffer> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'ignore'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', () => resolve(Buffer.alloc(0)));
    child.on('close', () => resolve(Buffer.concat(chunks)));
    child.stdin.on('error', () => undefined); // the tool may stop reading at the end of its stream
    child.stdin.end(input);
  });
}
