// A Linux root found without libguestfs's inspect-os, in appliances holding btrfs. There inspect-os
// mounts every subvolume, and takes each snapper snapshot for a system of its own, inspected in full
// (fstab and hostname parsed with augeas): under TCG a SLES disk took 56–121 s of inspect-os with 2
// snapshots, 302–518 s with 22 (docs/benchmarks.md), and a real SLES keeps dozens. Here snapshots
// are known by their paths and never mounted. Only what is sure is answered here: a root on a plain
// device (btrfs's default subvolume, which is what snapper makes /) of a distribution whose
// os-release libguestfs reads the same way; anything else is left to inspect-os (undefined).
import type { OsFacts } from '../../model/guest-facts.js';
import { type GuestReader, lines } from '../../tools/guestfish.js';
import { shellVars } from './shell-vars.js';

/** The distro libguestfs names for an os-release ID (its inspect_fs_unix.ml), for the IDs read here. */
function distroOf(id: string): string | undefined {
  if (id === 'sles' || id === 'sled') return 'sles';
  if (id === 'opensuse' || id.startsWith('opensuse-')) return 'opensuse';
  return id === 'fedora' ? 'fedora' : undefined;
}

/** Filesystems h2k can tell a Linux root on, and those that hold none; with any other (NTFS above
 *  all, LUKS) inspect-os decides. */
const CHECKED = new Set(['ext2', 'ext3', 'ext4', 'xfs', 'btrfs', 'vfat']);
const NO_ROOT = new Set(['swap', 'unknown', 'LVM2_member', 'linux_raid_member']);

/** The release files libguestfs reads after an os-release without PRETTY_NAME or VERSION_ID: with
 *  one of them there, its answer is not os-release's alone. */
const OTHER_RELEASE_FILES = [
  'lsb-release',
  'openmandriva-release',
  'oracle-release',
  'centos-release',
  'rocky-release',
  'altlinux-release',
  'redhat-release',
  'debian_version',
  'pardus-release',
  'arch-release',
  'gentoo-release',
  'meego-release',
  'slackware-version',
  'ttylinux-target',
  'SuSE-release',
  'cirros/version',
  'br-version',
  'alpine-release',
  'frugalware-release',
  'pld-release',
].map((f) => `/etc/${f}`);

/** A snapper snapshot of the root configuration, by subvolume path (SUSE's `@/` or not). */
const SNAPPER_PATH = /^(?:@\/)?\.snapshots\/\d+\/snapshot$/;

/** Architecture: the first of these binaries libguestfs finds (its check_architecture). */
const BINARIES = ['bash', 'ls', 'echo', 'rm', 'sh'].map((b) => `/bin/${b}`);

export interface NativeRoot {
  root: string;
  os: OsFacts;
  /** Subvolume paths of snapper snapshots of the root, sorted. */
  snapshots: string[];
}

/** PURE: distro, product and version as libguestfs reads them from os-release (shellVars); undefined
 *  for an ID distroOf does not name. */
export function osFromRelease(
  fields: Map<string, string>,
): Pick<OsFacts, 'distro' | 'product' | 'major' | 'minor'> | undefined {
  const distro = distroOf(fields.get('ID') ?? '');
  if (!distro) return undefined;
  const [major, minor] = (fields.get('VERSION_ID') ?? '').split('.').map((n) => Number.parseInt(n, 10));
  return {
    distro,
    product: fields.get('PRETTY_NAME') || 'unknown',
    major: Number.isFinite(major) ? major : 0,
    minor: Number.isFinite(minor) ? minor : 0,
  };
}

/** PURE: the subvolume paths of `btrfs-subvolume-list` output, by ID. */
export function parseSubvolumes(text: string): Map<number, string> {
  const out = new Map<number, string>();
  let id: number | undefined;
  for (const line of lines(text)) {
    const m = /^\s*btrfssubvolume_(id|path): (.*)$/.exec(line);
    if (m?.[1] === 'id') id = Number(m[2]);
    else if (m?.[1] === 'path' && id !== undefined) out.set(id, m[2].trim());
  }
  return out;
}

/** PURE: the plain devices of a `list-filesystems` listing worth checking for a root, with their
 *  types, or undefined when one of its filesystems is of a kind inspect-os must judge. btrfs
 *  subvolumes (`btrfsvol:`) are left out: a root in a named subvolume is inspect-os's to find. */
export function candidates(listing: string): { device: string; type: string }[] | undefined {
  const out: { device: string; type: string }[] = [];
  for (const line of lines(listing)) {
    const m = /^(.*): (\S+)$/.exec(line.trim());
    if (!m) continue;
    const [, device, type] = m;
    if (device.startsWith('btrfsvol:')) continue;
    if (CHECKED.has(type)) out.push({ device, type });
    else if (!NO_ROOT.has(type)) return undefined;
  }
  return out;
}

/** The one Linux root on these filesystems with its OS facts, or undefined: inspect-os decides. */
export async function nativeLinuxRoot(g: GuestReader, listing: string): Promise<NativeRoot | undefined> {
  const filesystems = candidates(listing);
  if (!filesystems) return undefined;
  let found: NativeRoot | undefined;
  for (const { device, type } of filesystems) {
    if ((await g.try('mount-ro', device, '/')) === undefined) continue;
    try {
      if (!(await looksLikeRoot(g))) continue;
      if (found) return undefined; // two systems: inspect-os says so in its words
      const os = await osFacts(g);
      if (!os) return undefined;
      found = { root: device, os, snapshots: type === 'btrfs' ? await snapperSnapshots(g) : [] };
    } finally {
      await g.run('umount-all');
    }
  }
  return found;
}

/** libguestfs's test for a Linux root: /etc, /bin (or /bin a symlink beside /usr/bin), /etc/fstab. */
async function looksLikeRoot(g: GuestReader): Promise<boolean> {
  const is = async (what: string, p: string) => (await g.try(what, p))?.trim() === 'true';
  if (!(await is('is-dir', '/etc')) || !(await is('is-file', '/etc/fstab'))) return false;
  return (await is('is-dir', '/bin')) || ((await is('is-symlink', '/bin')) && (await is('is-dir', '/usr/bin')));
}

async function osFacts(g: GuestReader): Promise<OsFacts | undefined> {
  const release = await g.readFile('/etc/os-release');
  if (release === undefined) return undefined;
  const fields = shellVars(release);
  const os = osFromRelease(fields);
  if (!os) return undefined;
  if (!fields.get('PRETTY_NAME') || !fields.get('VERSION_ID'))
    for (const f of OTHER_RELEASE_FILES)
      if ((await g.try('is-file', f, 'followsymlinks:true'))?.trim() === 'true') return undefined;
  return { type: 'linux', ...os, arch: await architecture(g), hostname: await hostname(g) };
}

async function architecture(g: GuestReader): Promise<string> {
  for (const bin of BINARIES) {
    if ((await g.try('is-file', bin, 'followsymlinks:true'))?.trim() !== 'true') continue;
    const arch = (await g.try('file-architecture', bin))?.trim();
    if (arch) return arch;
  }
  return 'unknown';
}

/** /etc/HOSTNAME (SUSE), then /etc/hostname (each's first line that is neither empty nor a comment),
 *  then HOSTNAME= of /etc/sysconfig/network, as libguestfs. */
async function hostname(g: GuestReader): Promise<string> {
  for (const f of ['/etc/HOSTNAME', '/etc/hostname']) {
    const first = (await g.readFile(f))?.split('\n').find((l) => l !== '' && !l.startsWith('#'));
    if (first) return first;
  }
  const network = await g.readFile('/etc/sysconfig/network');
  const set = network && shellVars(network).get('HOSTNAME');
  return set || 'unknown';
}

/** Snapper's snapshots of the btrfs mounted at /, the default subvolume (the running root) left out. */
async function snapperSnapshots(g: GuestReader): Promise<string[]> {
  const all = parseSubvolumes(await g.run('btrfs-subvolume-list', '/'));
  const current = Number((await g.run('btrfs-subvolume-get-default', '/')).trim());
  return [...all]
    .filter(([id, path]) => id !== current && SNAPPER_PATH.test(path))
    .map(([, path]) => path)
    .sort();
}
