// CONVERT: write the target image from the fixed overlay, allocated blocks only. Written under a
// .partial name and renamed when complete, so an interrupted conversion never looks finished.
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { progressMeter } from '../util/progress-meter.js';
import { qemuImg } from '../tools/qemu-img.js';

export async function convertImage(opts: {
  overlay: string;
  out: string;
  format: 'qcow2' | 'raw';
  compress: boolean;
  /** How far qemu-img is, in percent of this image. */
  onPercent: (percent: number) => void;
}): Promise<void> {
  mkdirSync(dirname(opts.out), { recursive: true });
  const partial = `${opts.out}.partial`;
  rmSync(partial, { force: true });
  const args = ['convert', '-p', '-f', 'qcow2', '-O', opts.format];
  if (opts.format === 'qcow2' && opts.compress) args.push('-c');
  if (opts.format === 'raw') args.push('-S', '4k');
  try {
    await qemuImg([...args, opts.overlay, partial], { onPercent: opts.onPercent });
  } catch (err) {
    // A failed conversion (a full disk) frees what it wrote; a killed one is removed by the next run.
    rmSync(partial, { force: true });
    throw err;
  }
  renameSync(partial, opts.out);
}

/** Every disk's overlay to its output, in disk order; `onProgress` gets "out/a.qcow2: 42 %, 0:31 left". */
export async function convertImages(opts: {
  overlays: string[];
  outs: string[];
  format: 'qcow2' | 'raw';
  compress: boolean;
  onProgress: (message: string) => void;
}): Promise<void> {
  for (const [i, overlay] of opts.overlays.entries()) {
    const meter = progressMeter(100, 'percent');
    const onPercent = (pct: number) => opts.onProgress(`${basename(opts.outs[i])}: ${meter(pct)}`);
    await convertImage({ overlay, out: opts.outs[i], format: opts.format, compress: opts.compress, onPercent });
  }
}
