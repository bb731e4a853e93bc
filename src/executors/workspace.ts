// Where a VM's intermediate files live: <config>/.h2k/work/<vm>/ (and .h2k/fetch/<vm>/ for sources
// that FETCH). Outputs go to the policy's output_dir; nothing is ever written next to the source.
import { join, resolve } from 'node:path';
import { type VmOutputs, vmSlug } from '../model/plan.js';
import type { OutputRecord } from '../model/state.js';
import { statSync } from 'node:fs';
import { configRelative, fileSha256 } from '../util/files.js';

export interface Workspace {
  dir: string;
  /** FETCH's copies of the disks, kept until the VM is converted again. */
  fetchDir: string;
  /** One qcow2 overlay per disk, in disk order. */
  overlays: string[];
  outDisks: string[];
  /** The outputs' files, as the plan lists them. */
  outFiles: string[];
}

/** `stateDir`: where h2k keeps its own files for the configuration. */
export function workspace(configDir: string, stateDir: string, address: string, outputs: VmOutputs): Workspace {
  const dir = join(stateDir, 'work', vmSlug(address));
  return {
    dir,
    fetchDir: join(stateDir, 'fetch', vmSlug(address)),
    overlays: outputs.disks.map((_, i) => join(dir, i === 0 ? 'overlay.qcow2' : `overlay-disk${i}.qcow2`)),
    outDisks: outputs.disks.map((d) => resolve(configDir, d.path)),
    outFiles: outputs.files.map((f) => resolve(configDir, f.path)),
  };
}

export async function outputRecord(path: string, configDir: string): Promise<OutputRecord> {
  return { path: configRelative(path, configDir), size: statSync(path).size, sha256: await fileSha256(path) };
}
