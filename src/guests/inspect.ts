// Guest inspection: read-only, every disk of a VM attached. libguestfs's own `-i` mounting follows
// fstab and dies on /dev/disk/by-path names (the VMware trap), so inspect-os only finds the root (or,
// where btrfs makes inspect-os slow, linux/roots.ts does); the guest's family module reads the rest
// and mounts explicitly. Many VMs share one appliance launch (inspectGuests): each reads its own
// disks through a slice that names them as if alone.
import type { FilesystemFact, GuestFacts, LuksVolume, OsFacts } from '../model/guest-facts.js';
import { UserError, asError } from '../util/errors.js';
import { type GuestDisk, type GuestReader, GuestfishSession, type Secret, lines } from '../tools/guestfish.js';
import { DiskSlice, SharedAppliance } from '../tools/shared-appliance.js';
import type { InspectionHost } from './family.js';
import { crypttabEntries, resolveSpec } from './linux/device-names.js';
import { openVolume, openVolumes } from './luks.js';
import { nativeLinuxRoot } from './linux/roots.js';
import { familyForOs } from './registry.js';

export class InspectionError extends UserError {}

/** One VM's part of an inspection: its disks (in order), their WWNs as the source saw them, and
 *  what inspection may read on the host. */
export interface InspectionSubject {
  disks: GuestDisk[];
  wwns: (string | undefined)[];
  host: InspectionHost;
  /** luks_keys: passphrases by device (/dev/sda2). */
  keys?: Record<string, Secret>;
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
  const before = await g.run('list-filesystems');
  const encrypted = await encryptedVolumes(g, before, s.disks.length);
  const luks = await openKeyed(g, encrypted, s.keys ?? {});
  // What an opened volume holds is listed once it is open.
  const listing = luks.length ? await g.run('list-filesystems') : before;
  const filesystems = [...(await listFilesystems(g, listing, s.disks.length)), ...encrypted].sort((a, b) =>
    a.device < b.device ? -1 : 1,
  );
  // inspect-os reads every btrfs subvolume in the appliance, snapshots included, whoever's they are.
  const whole = g instanceof DiskSlice ? await g.applianceListing('list-filesystems') : listing;
  const native = /: btrfs$/m.test(whole) ? await nativeLinuxRoot(g, listing) : undefined;
  if (native) return await inspectRoot(g, s, filesystems, await asTheGuestNames(g, s, filesystems, luks, native));
  const { roots, snapshots } = splitSnapshots(lines(await g.run('inspect-os')));
  const closed = encrypted.filter((f) => !luks.some((v) => v.device === f.device));
  if (roots.length === 0 && closed.length) {
    const os = { type: 'unknown', distro: 'unknown', major: 0, minor: 0, product: 'unknown', arch: 'unknown' };
    const locked = closed.map((f) => f.device);
    return {
      family: 'unknown',
      os: { ...os, hostname: 'unknown' },
      firmware: 'bios',
      partition_table: await partitionTable(g),
      filesystems,
      locked,
    };
  }
  const bitlocker = filesystems.filter((f) => f.type === 'BitLocker');
  if (roots.length === 0 && bitlocker.length)
    throw new InspectionError(
      `no operating system found outside BitLocker volumes (${bitlocker.map((f) => f.device).join(', ')})`,
      'h2k does not open BitLocker: suspend or decrypt it, then plan again',
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
  return await inspectRoot(g, s, filesystems, await asTheGuestNames(g, s, filesystems, luks, { root, os, snapshots }));
}

/** LUKS volumes on the VM's disks (list-filesystems leaves them out: nothing to mount on them). */
async function encryptedVolumes(g: GuestReader, listing: string, diskCount: number): Promise<FilesystemFact[]> {
  const listed = new Set(lines(listing).map((l) => l.split(':')[0].trim()));
  const candidates = [...lines(await g.run('list-devices')), ...lines(await g.run('list-partitions'))];
  const out: FilesystemFact[] = [];
  for (const device of candidates.filter((d) => !listed.has(d))) {
    if ((await g.try('vfs-type', device))?.trim() !== 'crypto_LUKS') continue;
    const [fact] = await listFilesystems(g, `${device}: crypto_LUKS\n`, diskCount);
    if (fact) out.push(fact);
  }
  return out;
}

/** Opens, read-only, each LUKS volume luks_keys has a passphrase for, as luks-<UUID> until the guest's
 *  crypttab names it (asTheGuestNames); LVM inside is activated. */
async function openKeyed(
  g: GuestReader,
  encrypted: FilesystemFact[],
  keys: Record<string, Secret>,
): Promise<LuksVolume[]> {
  const stray = Object.keys(keys).filter((d) => !encrypted.some((f) => f.device === d));
  if (stray.length)
    throw new InspectionError(
      `luks_keys names ${stray.join(', ')}, not a LUKS volume on the disks`,
      encrypted.length
        ? `the LUKS volumes are ${encrypted.map((f) => f.device).join(', ')}`
        : 'no LUKS volume was found: remove luks_keys',
    );
  const unlocks = encrypted
    .filter((f) => keys[f.device])
    .map((f) => ({ device: f.device, name: `luks-${f.uuid ?? f.device.slice('/dev/'.length)}`, key: keys[f.device] }));
  await openVolumes(g, unlocks, true);
  return unlocks.map(({ device, name }) => ({ device, name }));
}

/** The root found, with each opened volume reopened under the name the guest's crypttab gives it:
 *  the initramfs FIX rebuilds looks / up by that name (initramfs-tools' cryptroot hook does). */
async function asTheGuestNames(
  g: GuestReader,
  s: InspectionSubject,
  filesystems: FilesystemFact[],
  luks: LuksVolume[],
  found: { root: string; os: OsFacts; snapshots: string[] },
): Promise<{ root: string; os: OsFacts; snapshots: string[]; luks: LuksVolume[] }> {
  if (!luks.length) return { ...found, luks };
  await g.run('mount-ro', found.root, '/');
  const crypttab = (await g.readFile('/etc/crypttab')) ?? '';
  await g.run('umount-all');
  const entries = crypttabEntries(crypttab);
  const wwns = diskWwns(s);
  let root = found.root;
  const out: LuksVolume[] = [];
  for (const v of luks) {
    const entry = entries.find((e) => resolveSpec(e.spec, filesystems, wwns)?.device === v.device);
    if (!entry || entry.name === v.name) {
      out.push(v);
      continue;
    }
    await g.try('vg-activate-all', 'false');
    await g.run('cryptsetup-close', `/dev/mapper/${v.name}`);
    await openVolume(g, { device: v.device, name: entry.name, key: s.keys![v.device] }, true);
    await g.try('vg-activate-all', 'true');
    if (root === `/dev/mapper/${v.name}`) root = `/dev/mapper/${entry.name}`;
    out.push({ device: v.device, name: entry.name });
  }
  return { ...found, root, luks: out };
}

const partitionTable = async (g: GuestReader) => ((await g.try('part-get-parttype', '/dev/sda')) ?? 'none').trim();

/** Each disk's WWN as the source saw it, null where none is known. */
const diskWwns = (s: InspectionSubject) => s.disks.map((_, i) => s.wwns[i] ?? null);

/** The guest's family reads the rest, from its root. */
async function inspectRoot(
  g: GuestReader,
  s: InspectionSubject,
  filesystems: FilesystemFact[],
  found: { root: string; os: OsFacts; snapshots: string[]; luks: LuksVolume[] },
): Promise<GuestFacts> {
  const base = { ...found, partition_table: await partitionTable(g), filesystems, disk_wwns: diskWwns(s) };
  return await familyForOs(found.os.type).inspect(g, base, s.host);
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
