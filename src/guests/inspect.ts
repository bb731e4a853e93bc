// Guest inspection in ONE read-only appliance launch with every disk attached. libguestfs's own
// `-i` mounting follows fstab and dies on /dev/disk/by-path names (the VMware trap), so inspect-os
// only finds the root; the guest's family module reads the rest and mounts explicitly.
import type { FilesystemFact, GuestFacts } from '../model/guest-facts.js';
import { UserError } from '../util/errors.js';
import { type GuestDisk, GuestfishSession, lines } from '../tools/guestfish.js';
import type { InspectionHost } from './family.js';
import { familyForOs } from './registry.js';

export class InspectionError extends UserError {}

export async function inspectGuest(
  disks: GuestDisk[],
  host: InspectionHost,
  wwns: (string | undefined)[] = [],
): Promise<GuestFacts> {
  const g = await GuestfishSession.launch(disks, { readonly: true });
  try {
    const filesystems = await listFilesystems(g, disks.length);
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
    const partition_table = ((await g.try('part-get-parttype', '/dev/sda')) ?? 'none').trim();
    return await familyForOs(os.type).inspect(
      g,
      { os, root, partition_table, filesystems, snapshots, disk_wwns: disks.map((_, i) => wwns[i] ?? null) },
      host,
    );
  } finally {
    await g.close();
  }
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
async function listFilesystems(g: GuestfishSession, diskCount: number): Promise<FilesystemFact[]> {
  const out: FilesystemFact[] = [];
  for (const line of lines(await g.run('list-filesystems'))) {
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
