// Guest inspection: read-only, every disk of a VM attached. libguestfs's own `-i` mounting follows
// fstab and dies on /dev/disk/by-path names (the VMware trap), so inspect-os only finds the root (or,
// where btrfs makes inspect-os slow, linux/roots.ts does); the guest's family module reads the rest
// and mounts explicitly. Many VMs share one appliance launch (inspectGuests): each reads its own
// disks through a slice that names them as if alone.
import type { FilesystemFact, GuestFacts, OsFacts } from '../model/guest-facts.js';
import { UserError, asError } from '../util/errors.js';
import { type GuestDisk, type GuestReader, GuestfishSession, lines } from '../tools/guestfish.js';
import { DiskSlice, SharedAppliance } from '../tools/shared-appliance.js';
import type { InspectionHost } from './family.js';
import { nativeLinuxRoot } from './linux/roots.js';
import { familyForOs } from './registry.js';

export class InspectionError extends UserError {}

/** One VM's part of an inspection: its disks (in order), their WWNs as the source saw them, and
 *  what inspection may read on the host. */
export interface InspectionSubject {
  disks: GuestDisk[];
  wwns: (string | undefined)[];
  host: InspectionHost;
}

/** A VM's guest, in an appliance of its own. */
export async function inspectGuest(s: InspectionSubject): Promise<GuestFacts> {
  const g = await GuestfishSession.launch(s.disks, { readonly: true });
  try {
    return await readGuest(g, s);
  } finally {
    await g.close();
  }
}

/** Several VMs' guests in one appliance launch; each result as inspectGuest would give it. Returns
 *  the VMs left to inspect in a launch of their own (with why): clones whose btrfs, LVM or md would
 *  mix (SharedAppliance), and a VM whose inspection failed in the shared appliance — alone, its
 *  failure is its own, said as it would be alone, and the other VMs' results stand. `done` is told of
 *  each VM read here as it finishes, with how. A single subject is simply inspected alone. */
export async function inspectGuests(
  subjects: InspectionSubject[],
  done: (i: number, result: GuestFacts | Error, how: string) => void,
): Promise<Map<number, string>> {
  const alone = new Map<number, string>();
  if (subjects.length === 1) done(0, await inspectGuest(subjects[0]).catch(asError), '');
  else if (subjects.length > 1) await inspectShared(subjects, alone, done);
  return alone;
}

/** The shared launch of inspectGuests; who is left to inspect alone goes into `alone`, with why. */
async function inspectShared(
  subjects: InspectionSubject[],
  alone: Map<number, string>,
  done: (i: number, result: GuestFacts, how: string) => void,
): Promise<void> {
  const finished = new Set<number>();
  let shared: SharedAppliance;
  try {
    shared = await SharedAppliance.launch(subjects.map((s) => s.disks));
  } catch {
    for (const i of subjects.keys()) alone.set(i, 'alone: the shared launch failed');
    return;
  }
  try {
    const conflicting = await shared.conflicting();
    const sharing = subjects.length - conflicting.size;
    for (const [i, s] of subjects.entries()) {
      if (conflicting.has(i)) {
        alone.set(i, "alone: its btrfs, LVM or md has another VM's UUID or name (clones)");
        continue;
      }
      const slice = shared.slice(i);
      try {
        done(i, await readGuest(slice, s), `one launch for ${sharing} VMs`);
        finished.add(i);
      } catch {
        alone.set(i, 'alone, after failing in the shared launch');
      } finally {
        await slice.release();
      }
    }
  } catch {
    for (const i of subjects.keys())
      if (!finished.has(i) && !alone.has(i)) alone.set(i, 'alone: the shared appliance failed');
  } finally {
    await shared.close();
  }
}

async function readGuest(g: GuestReader, s: InspectionSubject): Promise<GuestFacts> {
  const listing = await g.run('list-filesystems');
  const filesystems = await listFilesystems(g, listing, s.disks.length);
  // inspect-os reads every btrfs subvolume in the appliance, snapshots included, whoever's they are.
  const whole = g instanceof DiskSlice ? await g.applianceListing('list-filesystems') : listing;
  const native = /: btrfs$/m.test(whole) ? await nativeLinuxRoot(g, listing) : undefined;
  if (native) return await inspectRoot(g, s, filesystems, native);
  const { roots, snapshots } = splitSnapshots(lines(await g.run('inspect-os')));
  const locked = filesystems.filter((f) => f.type === 'crypto_LUKS' || f.type === 'BitLocker');
  if (roots.length === 0 && locked.length)
    throw new InspectionError(
      `no operating system found outside encrypted volumes (${locked.map(describe).join(', ')})`,
      'h2k cannot open an encrypted root without its key: decrypt it (or suspend BitLocker), or migrate it otherwise',
    );
  if (roots.length === 0) {
    throw new InspectionError(
      filesystems.length ? 'no operating system found on the disks' : 'no filesystems found on the disks',
      'check that disks lists the boot disk first and that it is the right file',
    );
  }
  if (roots.length > 1)
    throw new InspectionError(
      `several operating systems found (${roots.join(', ')})`,
      'multi-boot guests are not supported',
    );
  const root = roots[0];
  const get = async (what: string) => (await g.run(`inspect-get-${what}`, root)).trim();
  const os = {
    type: await get('type'),
    distro: await get('distro'),
    major: Number(await get('major-version')),
    minor: Number(await get('minor-version')),
    product: await get('product-name'),
    arch: await get('arch'),
    hostname: await get('hostname'),
  };
  return await inspectRoot(g, s, filesystems, { root, os, snapshots });
}

/** The guest's family reads the rest, from its root. */
async function inspectRoot(
  g: GuestReader,
  s: InspectionSubject,
  filesystems: FilesystemFact[],
  found: { root: string; os: OsFacts; snapshots: string[] },
): Promise<GuestFacts> {
  const partition_table = ((await g.try('part-get-parttype', '/dev/sda')) ?? 'none').trim();
  const disk_wwns = s.disks.map((_, i) => s.wwns[i] ?? null);
  return await familyForOs(found.os.type).inspect(g, { ...found, partition_table, filesystems, disk_wwns }, s.host);
}

/** A snapper snapshot's subvolume: `@/.snapshots/2/snapshot` (SUSE), `.snapshots/2/snapshot`. */
const SNAPPER = /^btrfsvol:\/dev\/.*?\/((?:@\/)?\.snapshots\/\d+\/snapshot)$/;

/** PURE: inspect-os's roots without the snapper snapshots of a btrfs root, which libguestfs (until
 *  its 2025 fix; Debian 12 has 1.48) reports as systems of their own: a snapshot is the root's
 *  history, not another system. Only when a root outside the snapshots remains: the subvolume paths
 *  of those left out. */
export function splitSnapshots(found: string[]): { roots: string[]; snapshots: string[] } {
  const roots = found.filter((r) => !SNAPPER.test(r));
  if (!roots.length) return { roots: found, snapshots: [] };
  return { roots, snapshots: found.flatMap((r) => SNAPPER.exec(r)?.[1] ?? []).sort() };
}

const describe = (f: FilesystemFact) => `${f.device} ${f.type === 'BitLocker' ? 'BitLocker' : 'LUKS'}`;

/** Every filesystem on the VM's disks (the appliance's sda, sdb, ... in disk order). */
async function listFilesystems(g: GuestReader, listing: string, diskCount: number): Promise<FilesystemFact[]> {
  const out: FilesystemFact[] = [];
  for (const line of lines(listing)) {
    const [device, type] = line.split(':').map((s) => s.trim());
    if (type === 'unknown') continue;
    const m = /^\/dev\/sd([a-z]+)(\d*)$/.exec(device);
    if (!m) continue; // LVM and md devices: resolved by UUID only
    const diskIndex = m[1].charCodeAt(0) - 97;
    if (diskIndex >= diskCount) continue;
    const blkid = parseBlkid(await g.try('blkid', device));
    out.push({
      device,
      disk_index: diskIndex,
      partition: Number(m[2] || 0),
      type,
      ...(blkid.UUID ? { uuid: blkid.UUID } : {}),
      ...(blkid.LABEL ? { label: blkid.LABEL } : {}),
      ...(blkid.PART_ENTRY_UUID ? { partuuid: blkid.PART_ENTRY_UUID } : {}),
    });
  }
  return out.sort((a, b) => (a.device < b.device ? -1 : 1));
}

function parseBlkid(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of lines(text)) {
    const i = l.indexOf(':');
    if (i > 0) out[l.slice(0, i).trim()] = l.slice(i + 1).trim();
  }
  return out;
}
