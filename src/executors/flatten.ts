// FLATTEN: a qcow2 overlay whose backing chain is the source. qemu opens backing files read-only,
// so every later write lands in the overlay and the source stays byte-identical.
import { mkdirSync, rmSync } from 'node:fs';
import { qemuImg } from '../tools/qemu-img.js';

export async function createOverlay(overlay: string, source: { path: string; format: string }): Promise<void> {
  mkdirSync(overlay.slice(0, overlay.lastIndexOf('/')), { recursive: true });
  rmSync(overlay, { force: true });
  await qemuImg(['create', '-q', '-f', 'qcow2', '-F', source.format, '-b', source.path, overlay]);
}
