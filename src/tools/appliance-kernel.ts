// libguestfs boots its appliance from the host's kernel, which distributions ship compressed (Debian:
// xz). Under TCG the kernel's own decompressor takes 3.5 of the ~13 s a launch takes on this machine,
// at every launch. So h2k unpacks it once into its cache and hands supermin that copy: qemu boots an
// uncompressed kernel straight through its PVH entry point. The appliance built from it lives in
// h2k's cache too (LIBGUESTFS_CACHEDIR), apart from the one other libguestfs users share.
// A kernel h2k cannot unpack or that has no PVH entry point is left to libguestfs as it is; so is a
// SUPERMIN_KERNEL, LIBGUESTFS_PATH or LIBGUESTFS_CACHEDIR the user set.
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decompress, decompressorFor } from './decompress.js';
import { cacheDir, findApplianceKernel, findTool } from './locate.js';

export interface ApplianceKernelEnv {
  SUPERMIN_KERNEL?: string;
  SUPERMIN_KERNEL_VERSION?: string;
  LIBGUESTFS_CACHEDIR?: string;
}

const USER_CHOICES = ['SUPERMIN_KERNEL', 'LIBGUESTFS_PATH', 'LIBGUESTFS_CACHEDIR'];

let memo: Promise<ApplianceKernelEnv> | undefined;

/** The environment that gives libguestfs the uncompressed kernel, or {} to leave it to libguestfs. */
export async function applianceKernelEnv(): Promise<ApplianceKernelEnv> {
  if (USER_CHOICES.some((v) => process.env[v])) return {};
  memo ??= unpackedKernel();
  return memo;
}

async function unpackedKernel(): Promise<ApplianceKernelEnv> {
  const file = findApplianceKernel();
  if (!file) return {};
  const version = file.replace(/^vmlinuz-/, '');
  const path = join('/boot', file);
  const dir = join(cacheDir(), 'appliance');
  try {
    const { size, mtimeMs } = statSync(path);
    // Keyed by the file's size and time: a kernel package upgraded in place gets a new copy.
    const unpacked = join(dir, `vmlinux-${version}-${size}-${Math.trunc(mtimeMs)}`);
    if (!existsSync(unpacked)) {
      const elf = await unpack(readFileSync(path));
      if (!elf || !hasPvhEntry(elf)) return {};
      mkdirSync(dir, { recursive: true });
      // Several h2k processes may unpack at once: each writes its own file, the rename is atomic.
      const partial = `${unpacked}.${process.pid}.partial`;
      writeFileSync(partial, elf);
      renameSync(partial, unpacked);
    }
    return { SUPERMIN_KERNEL: unpacked, SUPERMIN_KERNEL_VERSION: version, LIBGUESTFS_CACHEDIR: dir };
  } catch {
    // Unreadable /boot, a full cache disk: libguestfs boots the kernel as shipped.
    return {};
  }
}

/** The ELF image inside a bzImage (x86 boot protocol 2.08+: the payload's offset and length in the
 *  setup header), or undefined for a format h2k does not unpack or a tool it lacks. */
export async function unpack(bzImage: Buffer): Promise<Buffer | undefined> {
  if (bzImage.length < 0x250 || bzImage.toString('latin1', 0x202, 0x206) !== 'HdrS') return undefined;
  if (bzImage.readUInt16LE(0x206) < 0x208) return undefined;
  const setupSectors = bzImage[0x1f1] || 4;
  const start = (setupSectors + 1) * 512 + bzImage.readUInt32LE(0x248);
  // The build appends the uncompressed size (4 bytes) to the compressed stream.
  const payload = bzImage.subarray(start, start + bzImage.readUInt32LE(0x24c) - 4);
  const tool = decompressorFor(payload);
  if (!tool || !findTool(tool[0])) return undefined;
  const elf = await decompress(tool, payload);
  return elf.length ? elf : undefined;
}

/** Whether an ELF kernel has the Xen PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY) qemu boots it by. */
export function hasPvhEntry(elf: Buffer): boolean {
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2) return false;
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  for (let i = 0; i < elf.readUInt16LE(0x38); i++) {
    const ph = phoff + i * phentsize;
    if (elf.readUInt32LE(ph) !== 4) continue; // PT_NOTE
    const offset = Number(elf.readBigUInt64LE(ph + 8));
    const end = offset + Number(elf.readBigUInt64LE(ph + 32));
    for (let n = offset; n + 12 <= end;) {
      const [namesz, descsz, type] = [elf.readUInt32LE(n), elf.readUInt32LE(n + 4), elf.readUInt32LE(n + 8)];
      const name = elf.toString('latin1', n + 12, n + 12 + namesz).replace(/\0+$/, '');
      if (name === 'Xen' && type === 18) return true;
      n += 12 + align4(namesz) + align4(descsz);
    }
  }
  return false;
}

const align4 = (n: number) => (n + 3) & ~3;
