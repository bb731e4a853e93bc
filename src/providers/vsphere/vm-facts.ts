// One located vSphere VM → the facts the planner needs: its disks' chains read remotely, the guest
// inspected through nbdkit (no download), the KVM hardware taken from the inventory, and a
// fingerprint that a later FETCH checks before it downloads anything.
import { sha256 } from '../../util/hash.js';
import type { DiskFacts, HardwareFacts, InventoryFacts, SourceFingerprint, VmFacts } from '../../model/plan.js';
import type { VmConfig } from '../../schema/config.js';
import { inspectGuest } from '../../guests/linux/inspect.js';
import { kvmHardware } from '../../planner/kvm-hardware.js';
import { type DatastoreClient, dcPathOf } from './datastore.js';
import { parseDatastorePath, siblingOf } from './inventory.js';
import { type RemoteChain, chainFile, resolveRemoteChain } from './remote-chain.js';
import { openRemoteDisks } from './remote-disk.js';

/** The KVM guest's hardware from the inventory: CPUs, memory, firmware, every NIC with its MAC. */
export function vsphereHardware(vm: VmConfig, inv: InventoryFacts): HardwareFacts {
  return kvmHardware(vm, {
    cpus: inv.cpus,
    memoryMiB: inv.memory_mib,
    firmware: inv.firmware === 'efi' ? 'uefi' : 'bios',
    nics: inv.nics,
  });
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
      virtualBytes: c.layers[0].descriptor.extents.reduce((n, e) => n + e.sectors, 0) * 512,
      allocatedBytes: files.reduce((n, f) => n + f.size, 0),
      chain: c.layers.map((l) => ({ file: l.file, format: 'vmdk', dataFiles: l.dataFiles })),
    };
  });
  const files = chains.flatMap((c, i) =>
    c.layers.flatMap((l) =>
      l.files.map((f) => ({
        file: siblingOf(ordered[i].file, f.file),
        size: f.size,
        mtimeMs: Date.parse(f.lastModified) || 0,
        sampleSha256: f.sampleSha256,
      })),
    ),
  );
  const fingerprint: SourceFingerprint = {
    files: files.sort((a, b) => (a.file < b.file ? -1 : 1)),
    descriptorSha256: sha256(chains.flatMap((c) => c.layers.map((l) => JSON.stringify(l.descriptor))).join('\n')),
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

export interface VsphereVmFacts {
  facts: VmFacts;
  fingerprint: SourceFingerprint;
  /** Bytes nbdkit read from the datastore for inspection, and the disks' allocated bytes. */
  remoteRead?: { bytes: number; allocated: number };
}

export async function vsphereVmFacts(
  http: DatastoreClient,
  vm: VmConfig,
  inv: InventoryFacts,
  opts: { inspect: boolean },
): Promise<VsphereVmFacts> {
  const ordered = bootOrder(inv).filter((d) => !d.rdm);
  const hardware = vsphereHardware(vm, inv);
  if (!opts.inspect) {
    const disks: DiskFacts[] = ordered.map((d) => ({
      name: d.file,
      format: 'vmdk',
      virtualBytes: d.capacity_bytes,
      allocatedBytes: 0,
      chain: [],
    }));
    return {
      facts: { disks, hardware, inventory: inv },
      fingerprint: { files: [], descriptorSha256: sha256(''), vsphere: identityOf(inv, ordered) },
    };
  }
  const { chains, disks, fingerprint } = await remoteDiskFacts(http, inv, ordered);
  const remote = await openRemoteDisks(http.source, chains, http.pinnedCertificate);
  let guest;
  let bytes = 0;
  try {
    guest = await inspectGuest(remote.disks);
  } catch (err) {
    // Reads that failed underneath libguestfs look like a damaged disk; if the datastore is gone,
    // say that instead (the probe throws the endpoint's own error).
    await http.size(chainFile(http.source, chains[0].dir, chains[0].layers[0].file).url);
    throw err;
  } finally {
    bytes = (await remote.close()) + chains.reduce((n, c) => n + c.bytesRead, 0);
  }
  return {
    facts: { disks, guest, hardware, inventory: inv },
    fingerprint,
    remoteRead: { bytes, allocated: disks.reduce((n, d) => n + d.allocatedBytes, 0) },
  };
}
