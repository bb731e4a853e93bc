// FLATTEN: a qcow2 overlay per disk whose backing chain is the source. qemu opens backing files
// read-only, so every later write lands in the overlays and the source stays byte-identical.
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { qemuImg } from '../tools/qemu-img.js';

export interface DiskEntry {
  path: string;
  format: string;
}

export async function createOverlay(overlay: string, source: DiskEntry): Promise<void> {
  mkdirSync(dirname(overlay), { recursive: true });
  rmSync(overlay, { force: true });
  await qemuImg(['create', '-q', '-f', 'qcow2', '-F', source.format, '-b', source.path, overlay]);
}

/** One overlay per disk, in disk order. */
export async function createOverlays(overlays: string[], sources: DiskEntry[]): Promise<void> {
  if (overlays.length !== sources.length)
    throw new Error(`${sources.length} source disk(s) for ${overlays.length} overlay(s)`);
  for (const [i, overlay] of overlays.entries()) await createOverlay(overlay, sources[i]);
}
