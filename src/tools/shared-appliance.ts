// Several VMs' disks in ONE read-only appliance, each VM read through a DiskSlice that shows it its
// own disks only, named as if they were alone (its first disk is /dev/sda wherever it sits), so a
// guest is read by the same code, with the same answers, as in an appliance of its own. A launch
// costs 13–40 s under TCG; reading a guest once launched costs a few seconds.
//
// What the kernel or LVM assembles by UUID or name (btrfs, LVM, md, zfs) mixes VMs that share one
// (clones of one template): such VMs are left out of the batch (`conflicting`) and read alone.
import { type GuestDisk, GuestfishError, type GuestReader, GuestfishSession, type Secret, lines } from './guestfish.js';
import { diskIndex, diskLetters } from '../util/disk-letters.js';

/** Commands whose answer lists the appliance's devices: answered from one listing per appliance,
 *  with another VM's devices left out and the rest renamed. Every other answer is the guest's own
 *  bytes (a file naming /dev/sdb1 is not renamed). */
const LISTINGS = new Set(['inspect-os', 'list-filesystems', 'list-devices', 'list-partitions']);

/** Filesystem types the kernel or LVM put together by UUID across disks. */
const ASSEMBLED = new Set(['btrfs', 'LVM2_member', 'linux_raid_member', 'zfs_member']);

/** PURE: the sd name of the appliance's disk `i` (0 → sda, 25 → sdz, 26 → sdaa, as Linux names them). */
export function sdName(i: number): string {
  return `sd${diskLetters(i)}`;
}

const SD = /\/dev\/sd([a-z]+)/;

/** PURE: a device name (`/dev/sdb2`, `btrfsvol:/dev/sdb2/@`) with its disk moved by `by` places;
 *  anything else as it is. */
export function shiftDevice(name: string, by: number): string {
  return /^(btrfsvol:)?\/dev\/sd[a-z]+/.test(name)
    ? name.replace(SD, (_, l: string) => `/dev/${sdName(diskIndex(l) + by)}`)
    : name;
}

/** PURE: the device a listing's line is about (`/dev/sda1: ext4`, `btrfsvol:/dev/sda2/@: btrfs`, `/dev/sda`). */
export function listedDevice(line: string): string {
  const m = /^(.*): \S+$/.exec(line.trim());
  return m ? m[1] : line.trim();
}

/** PURE: which VMs (by index) must not share an appliance: those holding a UUID of an assembled type
 *  that another VM holds too, and every VM with an LVM PV when two volume groups share a name. */
export function conflictingVms(
  members: { vm: number; type: string; uuid: string }[],
  volumeGroupNames: string[],
): Set<number> {
  const holders = new Map<string, Set<number>>();
  for (const m of members)
    if (ASSEMBLED.has(m.type) && m.uuid) {
      const key = `${m.type}:${m.uuid.toLowerCase()}`;
      holders.set(key, (holders.get(key) ?? new Set()).add(m.vm));
    }
  const out = new Set<number>();
  for (const vms of holders.values()) if (vms.size > 1) for (const vm of vms) out.add(vm);
  if (new Set(volumeGroupNames).size < volumeGroupNames.length)
    for (const m of members) if (m.type === 'LVM2_member') out.add(m.vm);
  return out;
}

export class SharedAppliance {
  private readonly listings = new Map<string, Promise<string>>();
  private pvDisks?: Promise<Map<string, number>>;

  private constructor(
    readonly session: GuestfishSession,
    /** Each VM's first disk in the appliance, and its disk count. */
    readonly spans: { first: number; count: number }[],
  ) {}

  static async launch(vms: GuestDisk[][]): Promise<SharedAppliance> {
    const spans: { first: number; count: number }[] = [];
    let first = 0;
    for (const disks of vms) {
      spans.push({ first, count: disks.length });
      first += disks.length;
    }
    return new SharedAppliance(await GuestfishSession.launch(vms.flat(), { readonly: true }), spans);
  }

  /** VMs (by index) that must be read alone (conflictingVms). */
  async conflicting(): Promise<Set<number>> {
    const members: { vm: number; type: string; uuid: string }[] = [];
    const devices = [...lines(await this.listing('list-devices')), ...lines(await this.listing('list-partitions'))];
    for (const device of devices) {
      const disk = this.diskOfSd(device);
      const vm = this.spans.findIndex((s) => disk !== undefined && disk >= s.first && disk < s.first + s.count);
      if (vm < 0) continue;
      const type = (await this.session.try('vfs-type', device))?.trim() ?? '';
      if (ASSEMBLED.has(type))
        members.push({ vm, type, uuid: (await this.session.try('vfs-uuid', device))?.trim() ?? '' });
    }
    const groups = members.some((m) => m.type === 'LVM2_member') ? lines(await this.session.try('vgs')) : [];
    return conflictingVms(members, groups);
  }

  /** The slice of VM `i`. */
  slice(i: number): DiskSlice {
    return new DiskSlice(this, this.spans[i].first, this.spans[i].count);
  }

  /** One answer per appliance to a command that lists its devices. */
  listing(command: string): Promise<string> {
    let answer = this.listings.get(command);
    if (!answer) this.listings.set(command, (answer = this.session.run(command)));
    return answer;
  }

  private diskOfSd(device: string): number | undefined {
    const m = /^(?:btrfsvol:)?\/dev\/sd([a-z]+)/.exec(device);
    return m ? diskIndex(m[1]) : undefined;
  }

  /** The appliance disk a device lives on: an sd name's own, an md array's first member's, a
   *  logical volume's first PV's; undefined when not known (left out of every slice). */
  async diskOf(device: string): Promise<number | undefined> {
    const sd = this.diskOfSd(device);
    if (sd !== undefined) return sd;
    if (/^\/dev\/md/.test(device)) {
      const member = /mdstat_device: (\S+)/.exec((await this.session.try('md-stat', device)) ?? '');
      return member ? this.diskOfSd(member[1].startsWith('/') ? member[1] : `/dev/${member[1]}`) : undefined;
    }
    const canonical = (await this.session.try('lvm-canonical-lv-name', device))?.trim();
    const vg = canonical?.split('/')[2];
    if (!vg) return undefined;
    const uuids = lines(await this.session.try('vgpvuuids', vg)).map(plainUuid);
    const pvs = await this.pvDiskMap();
    return uuids.map((u) => pvs.get(u)).find((d) => d !== undefined);
  }

  private pvDiskMap(): Promise<Map<string, number>> {
    this.pvDisks ??= (async () => {
      const out = new Map<string, number>();
      for (const pv of lines(await this.session.try('pvs'))) {
        const uuid = (await this.session.try('pvuuid', pv))?.trim();
        const disk = this.diskOfSd(pv);
        if (uuid && disk !== undefined) out.set(plainUuid(uuid), disk);
      }
      return out;
    })();
    return this.pvDisks;
  }

  close(): Promise<void> {
    return this.session.close();
  }
}

const plainUuid = (u: string) => u.replace(/-/g, '').toLowerCase();

/** One VM's disks in a shared appliance, named as if alone. Device arguments are moved to the
 *  appliance's names; listings answer with this VM's devices only, in its own names. */
export class DiskSlice implements GuestReader {
  private readonly mountpoints: string[] = [];

  constructor(
    private readonly shared: SharedAppliance,
    private readonly first: number,
    private readonly count: number,
  ) {}

  async run(...command: string[]): Promise<string> {
    const [name, ...args] = command;
    if (LISTINGS.has(name)) return this.own(await this.shared.listing(name));
    if (name === 'mkmountpoint') this.mountpoints.push(args[0]);
    return this.shared.session.run(name, ...args.map((a) => shiftDevice(a, this.first)));
  }

  async try(...command: string[]): Promise<string | undefined> {
    try {
      return await this.run(...command);
    } catch (err) {
      if (err instanceof GuestfishError) return undefined;
      throw err;
    }
  }

  readFile(path: string): Promise<string | undefined> {
    return this.shared.session.readFile(shiftDevice(path, this.first));
  }

  readBytes(path: string): Promise<Buffer | undefined> {
    return this.shared.session.readBytes(shiftDevice(path, this.first));
  }

  readRange(path: string, offset: number, size: number): Promise<Buffer> {
    return this.shared.session.readRange(shiftDevice(path, this.first), offset, size);
  }

  openLuks(device: string, name: string, key: Secret, readonly: boolean): Promise<void> {
    return this.shared.session.openLuks(shiftDevice(device, this.first), name, key, readonly);
  }

  /** A listing of the whole appliance, every VM's devices in it. */
  applianceListing(command: string): Promise<string> {
    return this.shared.listing(command);
  }

  /** Leaves the appliance as the next VM expects it: nothing mounted, no mountpoint of ours. */
  async release(): Promise<void> {
    await this.shared.session.try('umount-all');
    for (const mp of this.mountpoints.reverse()) await this.shared.session.try('rmmountpoint', mp);
  }

  /** This VM's lines of a listing, renamed. */
  private async own(listing: string): Promise<string> {
    const out: string[] = [];
    for (const line of lines(listing)) {
      const disk = await this.shared.diskOf(listedDevice(line));
      if (disk !== undefined && disk >= this.first && disk < this.first + this.count)
        out.push(line.replace(listedDevice(line), shiftDevice(listedDevice(line), -this.first)));
    }
    return out.map((l) => `${l}\n`).join('');
  }
}
