// One located vSphere VM → the facts the planner needs: its disks' chains read remotely, its disks
// opened for inspection through nbdkit (no download), its hardware from the inventory, and a
// fingerprint that a later FETCH checks before it downloads anything.
import { sha256 } from '../../util/hash.js';
import type { DiskFacts, SourceFingerprint, SourceHardware } from '../../model/facts.js';
import type { InventoryFacts } from '../../model/source-facts.js';
import { virtualBytes, wwnOf } from '../disk-chain/descriptor.js';
import type { InspectionDisks, SourceVmFacts } from '../driver.js';
import { type DatastoreClient, dcPathOf } from './datastore.js';
import { parseDatastorePath, siblingOf } from './inventory.js';
import { type RemoteChain, chainFile, resolveRemoteChain } from './remote-chain.js';
import { openRemoteDisks } from './remote-disk.js';

/** The VM's hardware from the inventory: CPUs, memory, firmware, every NIC with its MAC. */
export function sourceHardware(inv: InventoryFacts): SourceHardware {
  const nics = inv.nics.map((n) => ({ mac: n.mac, ...(n.network ? { network: n.network } : {}) }));
  const firmware = inv.firmware === 'efi' ? 'uefi' : 'bios';
  return {
    cpus: inv.cpus,
    memory_mib: inv.memory_mib,
    firmware,
    ...(inv.secure_boot ? { secure_boot: true } : {}),
    nics,
  };
}

/** Disks in the order the guest saw them: by controller type, bus, then unit. */
export function bootOrder(inv: InventoryFacts): InventoryFacts['disks'] {
  const rank = (t: string) => (t === 'ide' ? 0 : t === 'sata' ? 2 : t === 'nvme' ? 3 : 1);
  return [...inv.disks].sort(
    (a, b) =>
      rank(a.controller.type) - rank(b.controller.type) ||
      a.controller.bus - b.controller.bus ||
      a.controller.unit - b.controller.unit,
  );
}

/** The disks' chains, read from the datastore (headers and descriptors only), as planner facts
 *  and the fingerprint FETCH checks before copying. */
export async function remoteDiskFacts(
  http: DatastoreClient,
  inv: InventoryFacts,
  ordered = bootOrder(inv).filter((d) => !d.rdm),
): Promise<{ chains: RemoteChain[]; disks: DiskFacts[]; fingerprint: SourceFingerprint }> {
  const chains: RemoteChain[] = [];
  for (const d of ordered) {
    const { datastore, path } = parseDatastorePath(d.file);
    chains.push(await resolveRemoteChain(http, { dcPath: dcPathOf(inv.path), datastore, path }));
  }
  const disks: DiskFacts[] = ordered.map((d, i) => {
    const c = chains[i];
    const files = c.layers.flatMap((l) => l.files);
    return {
      name: d.file,
      format: 'vmdk',
      virtual_bytes: virtualBytes(c.layers[0].descriptor),
      allocated_bytes: files.reduce((n, f) => n + f.size, 0),
      chain: c.layers.map((l) => ({ file: l.file, format: 'vmdk', data_files: l.dataFiles })),
      ...wwnOf(c.layers[0].descriptor),
    };
  });
  const files = chains.flatMap((c, i) =>
    c.layers.flatMap((l) =>
      l.files.map((f) => ({
        file: siblingOf(ordered[i].file, f.file),
        size: f.size,
        mtime_ms: Date.parse(f.lastModified) || 0,
        sample_sha256: f.sampleSha256,
      })),
    ),
  );
  const fingerprint: SourceFingerprint = {
    files: files.sort((a, b) => (a.file < b.file ? -1 : 1)),
    descriptor_sha256: sha256(chains.flatMap((c) => c.layers.map((l) => JSON.stringify(l.descriptor))).join('\n')),
    vsphere: identityOf(inv, ordered),
  };
  return { chains, disks, fingerprint };
}

function identityOf(inv: InventoryFacts, ordered: InventoryFacts['disks']): NonNullable<SourceFingerprint['vsphere']> {
  return {
    instance_uuid: inv.instance_uuid,
    change_version: inv.change_version,
    change_ids: ordered.map((d) => d.change_id),
  };
}

/** A located VM's facts; with `inspect`, its chains are read and its disks can be opened for
 *  inspection through nbdkit (no download). */
export async function vsphereVmFacts(
  http: DatastoreClient,
  inv: InventoryFacts,
  opts: { inspect: boolean },
): Promise<SourceVmFacts> {
  const ordered = bootOrder(inv).filter((d) => !d.rdm);
  const base = { source: { type: 'vsphere' as const, inventory: inv }, hardware: sourceHardware(inv) };
  if (!opts.inspect) {
    const disks: DiskFacts[] = ordered.map((d) => ({
      name: d.file,
      format: 'vmdk',
      virtual_bytes: d.capacity_bytes,
      allocated_bytes: 0,
      chain: [],
    }));
    const fingerprint = { files: [], descriptor_sha256: sha256(''), vsphere: identityOf(inv, ordered) };
    return { ...base, disks, fingerprint };
  }
  const { chains, disks, fingerprint } = await remoteDiskFacts(http, inv, ordered);
  const chainBytes = chains.reduce((n, c) => n + c.bytesRead, 0);
  const open = async (): Promise<InspectionDisks> => {
    const remote = await openRemoteDisks(http.source, chains, http.pinnedCertificate);
    return {
      disks: remote.disks,
      // Reads that failed underneath libguestfs look like a damaged disk; if the datastore is gone,
      // say that instead (the probe throws the endpoint's own error).
      async explain(err) {
        await http.size(chainFile(http.source, chains[0].dir, chains[0].layers[0].file).url);
        return err;
      },
      close: async () => (await remote.close()) + chainBytes,
    };
  };
  return { ...base, disks, fingerprint, open };
}
