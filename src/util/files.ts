// File helpers every layer uses: streaming sha256, atomic replacement, config-relative names.
import { createHash, randomUUID } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  statfsSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';

export async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** How state records a file: relative to the configuration when it lives under it. */
export function configRelative(path: string, configDir: string): string {
  return path.startsWith(configDir) ? path.slice(configDir.length + 1) : path;
}

/** Temp file, fsync, rename, fsync of the directory: a crash leaves the old file or the new one. */
export function writeFileAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${randomUUID().slice(0, 8)}`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    // A full disk must not leave temp files behind (nor take the place of the file).
    rmSync(tmp, { force: true });
    throw err;
  }
  const dfd = openSync(dirname(path), 'r');
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}

/** A filesystem that filled up under a VM's disk: qemu pauses the VM there instead of failing. */
export class NoSpaceError extends Error {
  readonly code = 'ENOSPC';
  constructor(readonly dir: string) {
    super(`no space left on device in ${dir}: the VM writing its disks there stopped`);
  }
}

/** Whether an error is a full filesystem: ENOSPC, or a tool's "no space left on device". */
export function isNoSpace(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  return e?.code === 'ENOSPC' || /no space left on device/i.test(String(e?.message ?? ''));
}

/** Room below which a filesystem is full as qemu meets it. qemu stops its VM when one write does not
 *  fit: a guest request of up to 1280 KiB (Linux's default max_sectors_kb) and the qcow2 clusters
 *  allocated with it. An appliance was seen paused with 1.2 MiB free, under the 1 MiB once assumed. */
const FULL_BELOW = 4 * 2 ** 20;

/** Whether a filesystem has less room than one of qemu's writes may need (it writes as root). */
export function filesystemFull(dir: string): boolean {
  try {
    const s = statfsSync(dir);
    return s.bfree * s.bsize < FULL_BELOW;
  } catch {
    return false;
  }
}

/** For a watch that looks each second while qemu writes in `dirs`: returns the directory found
 *  full on two looks in a row (one look can catch a moment), else undefined. `stalled`, when given,
 *  must hold on those looks too: the VM made no progress since the last look (qemu paused it), so
 *  a disk that is nearly full while the VM still runs is not taken for one qemu has stopped on. */
export function fullWatch(dirs: string[], stalled: () => boolean = () => true): () => string | undefined {
  let strikes = 0;
  return () => {
    const still = stalled();
    const full = dirs.find(filesystemFull);
    strikes = full && still ? strikes + 1 : 0;
    return strikes >= 2 ? full : undefined;
  };
}

/** Free bytes of the filesystem that holds (or will hold) dir, and which filesystem it is. */
export function roomAt(dir: string): { free: number; device: number } | undefined {
  let d = dir;
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  try {
    const s = statfsSync(d);
    return { free: s.bavail * s.bsize, device: statSync(d).dev };
  } catch {
    return undefined;
  }
}
