// qemu-img, always with -U (force-share) when reading a source: it must never take a write lock
// on, let alone write to, a source image.
import { execa } from 'execa';
import { requireTool } from './known-tools.js';
import { reaped, reapWithUs } from './reaper.js';

export interface QemuImgInfo {
  filename: string;
  format: string;
  'virtual-size': number;
  'actual-size'?: number;
  'backing-filename'?: string;
  'full-backing-filename'?: string;
  'backing-filename-format'?: string;
}

const bin = () => requireTool('qemu-img');

/** `onPercent`: with -p among `args`, each progress figure qemu-img prints ("(42.00/100%)"). */
export async function qemuImg(args: string[], opts: { reject?: boolean; onPercent?: (percent: number) => void } = {}) {
  const p = execa(bin(), args, { reject: opts.reject ?? true });
  reapWithUs(p.pid);
  const { onPercent } = opts;
  if (onPercent)
    p.stdout?.on('data', (chunk: Buffer) => {
      const figures = [...chunk.toString('latin1').matchAll(/\((\d+(?:\.\d+)?)\/100%\)/g)];
      if (figures.length) onPercent(Number(figures[figures.length - 1][1]));
    });
  try {
    return await p;
  } finally {
    reaped(p.pid);
  }
}

export async function infoChain(path: string, format?: string): Promise<QemuImgInfo[]> {
  const r = await qemuImg(['info', '-U', '--backing-chain', '--output=json', ...(format ? ['-f', format] : []), path], {
    reject: false,
  });
  if (r.exitCode !== 0) throw new Error(r.stderr.trim().split('\n').pop() ?? 'qemu-img info failed');
  const parsed = JSON.parse(r.stdout) as QemuImgInfo | QemuImgInfo[];
  return Array.isArray(parsed) ? parsed : [parsed];
}

/** The bytes of guest data an image (with its backing chain) holds: its data extents as qemu-img
 *  map reports them. A property of the image, unlike `actual-size` (the host file's st_blocks, which
 *  the host filesystem changes after writeback without any write to the file). */
export async function dataBytes(path: string, format: string): Promise<number> {
  const r = await qemuImg(['map', '-U', '--output=json', '-f', format, path], { reject: false });
  if (r.exitCode !== 0) throw new Error(r.stderr.trim().split('\n').pop() ?? 'qemu-img map failed');
  return (JSON.parse(r.stdout) as { length: number; data: boolean }[])
    .filter((e) => e.data)
    .reduce((n, e) => n + e.length, 0);
}

/** qemu-img check: undefined when the image is consistent, else the first problem it reports. */
export async function checkImage(path: string, format: string): Promise<string | undefined> {
  const r = await qemuImg(['check', '-U', '-f', format, path], { reject: false });
  // Exit 0: clean; 3: leaked clusters only (harmless); 63: format has no check.
  if (r.exitCode === 0 || r.exitCode === 3 || r.exitCode === 63) return undefined;
  return (
    `${r.stderr}\n${r.stdout}`
      .trim()
      .split('\n')
      .find((l) => l.trim()) ?? `qemu-img check exited ${r.exitCode}`
  );
}
