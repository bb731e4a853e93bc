// Where a VM's intermediate files live: <config>/.h2k/work/<vm>/ (and .h2k/fetch/<vm>/ for vSphere). Outputs go to the policy's
// output_dir; nothing is ever written next to the source disks.
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { vmSlug } from '../planner/plan-vm.js';
import type { OutputRecord } from '../state/local/state-file.js';
import { stateDir } from '../state/local/paths.js';

export interface Workspace {
  dir: string;
  /** vSphere: the fetched disk files, kept until the VM is converted again. */
  fetchDir: string;
  overlay: string;
  outDisk: string;
  outXml: string;
}

export function workspace(
  configDir: string,
  address: string,
  outputs: { disk: { path: string }; domain_xml: { path: string } },
): Workspace {
  const dir = join(stateDir(configDir), 'work', vmSlug(address));
  return {
    dir,
    fetchDir: join(stateDir(configDir), 'fetch', vmSlug(address)),
    overlay: join(dir, 'overlay.qcow2'),
    outDisk: resolve(configDir, outputs.disk.path),
    outXml: resolve(configDir, outputs.domain_xml.path),
  };
}

export async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** How state records a file: relative to the configuration when it lives under it. */
export function configRelative(path: string, configDir: string): string {
  return path.startsWith(configDir) ? path.slice(configDir.length + 1) : path;
}

export async function outputRecord(path: string, configDir: string): Promise<OutputRecord> {
  return { path: configRelative(path, configDir), size: statSync(path).size, sha256: await fileSha256(path) };
}
