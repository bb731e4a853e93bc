// A vSphere disk chain opened for inspection without downloading it: each datastore file served
// by nbdkit's `curl` plugin (read-only, Range requests, the password through a FIFO), mounted and
// linked by the shared remote-mounts module.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { VsphereSourceConfig } from './config.js';
import type { NbdExport } from '../../tools/nbd.js';
import { virtualBytes } from '../disk-chain/descriptor.js';
import { type MountedChains, mountRemoteChains } from '../remote-mounts.js';
import { VsphereError } from './govc.js';
import { type RemoteChain, chainFile } from './remote-chain.js';

/** `pinnedPem`: with a thumbprint, the certificate our own client matched against it; nbdkit then
 *  trusts exactly that certificate (and still checks the host name). */
export function openRemoteDisks(
  source: VsphereSourceConfig,
  chains: RemoteChain[],
  pinnedPem?: string,
): Promise<MountedChains> {
  const pinnedFile = (dir: string): string => {
    if (!pinnedPem)
      throw new VsphereError(
        `${source.address}: no certificate matched the thumbprint yet`,
        'this is a bug: the chain is read before the disks are opened',
      );
    const file = join(dir, 'pinned.pem');
    if (!existsSync(file)) writeFileSync(file, pinnedPem);
    return file;
  };

  /** One datastore file through nbdkit's curl plugin (HTTP Range requests). */
  const curlExport = (d: number, file: string, dir: string): NbdExport => {
    const params = [`url=${chainFile(source, chains[d].dir, file).url}`, 'timeout=60'];
    if (source.username !== undefined) params.push(`user=${source.username}`);
    if (source.thumbprint) params.push(`cainfo=${pinnedFile(dir)}`);
    else if (source.insecure) params.push('sslverify=false');
    else if (source.ca_file) params.push(`cainfo=${source.ca_file}`);
    const password = source.password ? String(source.password.reveal()) : '';
    return { plugin: 'curl', params, ...(source.username !== undefined ? { secrets: { password } } : {}) };
  };

  return mountRemoteChains(
    chains.map((c) => ({
      files: c.layers.flatMap((l) => l.files.map((f) => f.file)),
      virtual_bytes: virtualBytes(c.layers[0].descriptor),
    })),
    curlExport,
    'check the datastore is reachable and the credentials are right (npm run setup installs nbdkit and nbdfuse)',
  );
}
