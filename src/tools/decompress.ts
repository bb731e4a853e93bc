// Compressed streams by their first bytes, decompressed by the host's tools (gzip, zstd, xz, lz4,
// bzip2, lzma): what initramfs images and kernel images are packed with.
import { spawn } from 'node:child_process';

const COMPRESSORS: [Buffer, string[]][] = [
  [Buffer.from([0x1f, 0x8b]), ['gzip', '-dc']],
  [Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), ['zstd', '-dcq']],
  [Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), ['xz', '-dc']],
  [Buffer.from([0x02, 0x21, 0x4c, 0x18]), ['lz4', '-dc']],
  [Buffer.from('BZh'), ['bzip2', '-dc']],
  [Buffer.from([0x5d, 0x00, 0x00]), ['xz', '--format=lzma', '-dc']],
];

/** The command that decompresses a stream starting with `bytes`, or undefined for another format. */
export function decompressorFor(bytes: Buffer): string[] | undefined {
  return COMPRESSORS.find(([magic]) => bytes.subarray(0, magic.length).equals(magic))?.[1];
}

/** stdout of a decompressor fed `input` (chunks joined once: the output is a hundred MB or more);
 *  empty when the tool cannot run. A tool may complain about data after its stream; what it decoded
 *  counts. */
export function decompress([cmd, ...args]: string[], input: Buffer): Promise<Buffer> {
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
