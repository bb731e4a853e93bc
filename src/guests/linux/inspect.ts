// A Linux guest read in the inspection appliance: / from inspect-os or roots.ts, then /boot and
// /boot/efi from fstab with device names resolved by us (never libguestfs's -i, which dies on by-path
// names), the files the fixers read, kernels and their virtio drivers, and which bootloader,
// initramfs tool and network backend modules recognise the guest.
import { posix } from 'node:path';
import type { GuestFile, GuestMount, KernelFact, LinuxGuestFacts, VirtioState } from '../../model/guest-facts.js';
import { type GuestReader, lines } from '../../tools/guestfish.js';
import { initramfsFiles } from '../../tools/initramfs.js';
import type { InspectionBase, InspectionHost } from '../family.js';
import { BOOTLOADERS } from './bootloader/index.js';
import { scrubBtrfs } from './btrfs-scrub.js';
import { resolveSpec } from './device-names.js';
import { INITRAMFS_TOOLS } from './initramfs/index.js';
import { type GuestProbe, detect } from './modules.js';
import { NETWORK_BACKENDS } from './network/index.js';
import { NAME_RULES } from './network/wicked.js';

export const VIRTIO_MODULES = ['virtio_blk', 'virtio_net', 'virtio_pci', 'virtio_scsi'];

/** Files whose content decisions depend on; directories are listed in the guest. */
const WATCHED = [
  '/etc/fstab',
  '/etc/crypttab',
  '/etc/default/grub',
  '/etc/default/grub_installdevice',
  '/etc/sysconfig/bootloader',
  '/boot/grub/grub.cfg',
  '/boot/grub2/grub.cfg',
  '/etc/initramfs-tools/initramfs.conf',
  '/etc/initramfs-tools/modules',
  '/etc/dracut.conf',
  '/etc/kernel/cmdline',
  '/etc/lvm/lvm.conf',
  '/etc/lvm/devices/system.devices',
  '/etc/multipath.conf',
  '/etc/network/interfaces',
  '/etc/udev/rules.d/70-persistent-net.rules',
  NAME_RULES,
  '/etc/os-release',
];
const WATCHED_DIRS: [string, RegExp][] = [
  ['/etc/network/interfaces.d', /./],
  ['/etc/systemd/network', /\.(link|network)$/],
  ['/etc/netplan', /\.ya?ml$/],
  ['/etc/dracut.conf.d', /\.conf$/],
  ['/boot/loader/entries', /\.conf$/],
  ['/etc/NetworkManager/system-connections', /./],
  ['/etc/sysconfig/network-scripts', /^ifcfg-/],
  ['/etc/sysconfig/network', /^(ifcfg-|ifroute-|routes$|config$)/],
  ['/etc/systemd/system/multi-user.target.wants', /^(open-vm-tools|vmtoolsd|vmware-tools|vgauth)/],
];
const TOOLS_UNITS = '/etc/systemd/system/multi-user.target.wants/';

export async function inspectLinux(
  g: GuestReader,
  base: InspectionBase,
  host: InspectionHost,
): Promise<LinuxGuestFacts> {
  const { root, filesystems } = base;
  await g.run('mount-ro', root, '/');
  const files: Record<string, GuestFile> = {};
  // Watched files are read through symlinks (/etc/os-release is one); directory entries are
  // recorded as what they are, since the fixers delete or replace the entries themselves.
  const read = async (p: string, asEntry = false) => {
    if (asEntry && (await g.try('is-symlink', p))?.trim() === 'true')
      files[p] = { kind: 'symlink', target: (await g.run('readlink', p)).trim() };
    else {
      const text = await g.readFile(p);
      if (text !== undefined) files[p] = { kind: 'file', text };
    }
  };
  await read('/etc/fstab');
  const fstab = files['/etc/fstab']?.kind === 'file' ? files['/etc/fstab'].text : '';
  // Mount /boot (and /boot/efi) from fstab, resolving names ourselves.
  let boot: string | undefined;
  const mounts: LinuxGuestFacts['mounts'] = [];
  for (const entry of parseFstabMounts(fstab)) {
    if (entry.mountpoint !== '/boot' && entry.mountpoint !== '/boot/efi') continue;
    const fs = resolveSpec(entry.spec, filesystems, base.disk_wwns);
    if (!fs || (await g.try('mount-ro', fs.device, entry.mountpoint)) === undefined) continue;
    mounts.push({ mountpoint: entry.mountpoint, device: fs.device });
    if (entry.mountpoint === '/boot') boot = fs.device;
  }
  const rootUuid = (await g.try('vfs-uuid', deviceOf(root)))?.trim();
  const resolve = (spec: string) => resolveSpec(spec, filesystems, base.disk_wwns)?.device;
  mounts.push(...subvolumeMounts(fstab, root, rootSpecs(root, rootUuid, resolve)));
  for (const path of WATCHED) if (!files[path]) await read(path);
  for (const [dir, pattern] of WATCHED_DIRS) {
    if ((await g.try('is-dir', dir))?.trim() !== 'true') continue;
    const names = lines(await g.run('ls', dir)).filter((n) => pattern.test(n));
    for (const name of names.sort()) await read(posix.join(dir, name), true);
  }

  const exists = async (p: string) => (await g.try('exists', p))?.trim() === 'true';
  const probe: GuestProbe = { files, exists };
  const bootloader = await detect(BOOTLOADERS, probe);
  const tools = (await exists('/usr/bin/vmtoolsd')) || (await exists('/etc/vmware-tools'));
  const units = Object.keys(files)
    .filter((f) => f.startsWith(TOOLS_UNITS))
    .map((f) => posix.basename(f));
  const space: LinuxGuestFacts['space'] = {};
  for (const mp of ['/', ...(boot ? ['/boot'] : [])]) {
    const st = parseKv(await g.run('statvfs', mp));
    space[mp] = { free_bytes: st.bavail * st.bsize, total_bytes: st.blocks * st.bsize };
  }
  const uefi =
    base.partition_table === 'gpt' && filesystems.some((f) => f.type === 'vfat') && fstab.includes('/boot/efi');
  const efi = uefi && mounts.some((m) => m.mountpoint === '/boot/efi') ? await efiFiles(g) : undefined;
  for (const p of Object.keys(efi ?? {})) if (/^\/boot\/efi\/EFI\/[^/]+\/grub\.cfg$/i.test(p)) await read(p);
  const rootFs = (await g.run('vfs-type', root)).trim();
  // A scrub reads the whole filesystem: over the network that is the disk downloaded at plan time,
  // so a remote guest's is left to FIX's, on the fetched copy, which reads every block as well.
  const scrub =
    rootFs !== 'btrfs'
      ? undefined
      : host.remote
        ? ({ result: 'deferred', summary: 'the disks are read over the network; FIX scrubs the fetched copy' } as const)
        : await scrubBtrfs(g);
  const facts: LinuxGuestFacts = {
    family: 'linux',
    os: base.os,
    firmware: uefi ? 'uefi' : 'bios',
    partition_table: base.partition_table,
    filesystems,
    ...(base.snapshots.length ? { snapshots: base.snapshots } : {}),
    ...(base.disk_wwns.some(Boolean) ? { disk_wwns: base.disk_wwns } : {}),
    ...(base.luks.length ? { luks: base.luks } : {}),
    root,
    root_fs: rootFs,
    ...(scrub ? { btrfs_scrub: scrub } : {}),
    mounts,
    kernels: await kernelFacts(g),
    initramfs_tool: (await detect(INITRAMFS_TOOLS, probe))?.name ?? 'unknown',
    bootloader: bootloader ? { kind: bootloader.name, config: bootloader.config(files) } : { kind: 'unknown' },
    network: { backend: (await detect(NETWORK_BACKENDS, probe))?.name ?? 'none' },
    vmware_tools: { installed: tools, units },
    ...(efi ? { efi_files: efi } : {}),
    space,
    files,
  };
  await g.run('umount-all');
  return facts;
}

function parseKv(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of lines(text)) {
    const [k, v] = l.split(':').map((s) => s.trim());
    out[k] = Number(v);
  }
  return out;
}

export function parseFstabMounts(text: string): { spec: string; mountpoint: string; type: string; options: string }[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(/\s+/))
    .filter((f) => f.length >= 3)
    .map(([spec, mountpoint, type, options = 'defaults']) => ({ spec, mountpoint, type, options }));
}

/** The btrfs subvolumes fstab mounts from the root's own filesystem (SUSE's @/var, @/usr/local…), as
 *  the guest mounts them, so FIX's commands find /var/tmp and the rest where they run. Snapper's
 *  /.snapshots is history and never mounted: nothing in FIX can reach a snapshot. Shallow first. */
export function subvolumeMounts(
  fstab: string,
  root: string,
  resolve: (spec: string) => string | undefined,
): GuestMount[] {
  const rootDevice = deviceOf(root);
  const out: GuestMount[] = [];
  for (const entry of parseFstabMounts(fstab)) {
    if (entry.type !== 'btrfs' || entry.mountpoint === '/' || !entry.mountpoint.startsWith('/')) continue;
    if (entry.mountpoint === '/.snapshots' || entry.mountpoint.startsWith('/.snapshots/')) continue;
    const options = entry.options.split(',').filter((o) => /^subvol(id)?=/.test(o));
    if (!options.length || resolve(entry.spec) !== rootDevice) continue;
    out.push({ mountpoint: entry.mountpoint, device: rootDevice, options: options.join(',') });
  }
  const depth = (m: GuestMount) => m.mountpoint.split('/').length;
  return out.sort((a, b) => depth(a) - depth(b));
}

/** PURE: the device of a root as inspect-os names it: a root in a named subvolume is
 *  btrfsvol:/dev/sdX/<subvolume>. */
export function deviceOf(root: string): string {
  return /^btrfsvol:(\/dev\/[^/]+)\//.exec(root)?.[1] ?? root;
}

/** PURE: fstab's device names resolved, with the root's own names too: a root in a LUKS volume or on
 *  LVM is no disk partition, and fstab names it by that name (/dev/mapper/cr_root) or its UUID. */
export function rootSpecs(
  root: string,
  rootUuid: string | undefined,
  resolve: (spec: string) => string | undefined,
): (spec: string) => string | undefined {
  const device = deviceOf(root);
  return (spec) =>
    spec === device || (rootUuid && spec.toLowerCase() === `uuid=${rootUuid.toLowerCase()}`) ? device : resolve(spec);
}

/** A kernel module's file in a file list (any compression). */
export const modulePattern = (m: string) => new RegExp(`/${m}\\.ko(\\.[a-z]+)?$`);

async function kernelFacts(g: GuestReader): Promise<KernelFact[]> {
  if ((await g.try('is-dir', '/lib/modules'))?.trim() !== 'true') return [];
  const out: KernelFact[] = [];
  for (const version of lines(await g.run('ls', '/lib/modules')).sort()) {
    const dir = `/lib/modules/${version}`;
    const builtin = (await g.try('cat', `${dir}/modules.builtin`)) ?? '';
    const modules = (await g.try('cat', `${dir}/modules.dep`)) ?? '';
    const virtio: Record<string, VirtioState> = {};
    for (const m of VIRTIO_MODULES) {
      const file = new RegExp(`/${m}\\.ko(\\.[a-z]+)?[:\\n]`);
      virtio[m] = file.test(builtin) ? 'builtin' : file.test(modules) ? 'module' : 'missing';
    }
    let initrd: Pick<KernelFact, 'initrd' | 'initrd_bytes' | 'initrd_virtio'> | undefined;
    for (const path of [`/boot/initrd.img-${version}`, `/boot/initramfs-${version}.img`]) {
      const bytes = await g.readBytes(path);
      if (!bytes) continue;
      initrd = { initrd: path, initrd_bytes: bytes.length };
      const names = await initramfsFiles(bytes).catch(() => undefined);
      if (names) initrd.initrd_virtio = VIRTIO_MODULES.filter((m) => names.some((n) => modulePattern(m).test(n)));
      break;
    }
    out.push({ version, virtio, ...initrd });
  }
  return out;
}

/** Every file under /boot/efi/EFI with its sha256 (the ESP's names are case-insensitive; kept as found). */
async function efiFiles(g: GuestReader): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  if ((await g.try('is-dir', '/boot/efi/EFI'))?.trim() !== 'true') return out;
  for (const rel of lines(await g.run('find', '/boot/efi/EFI')).sort()) {
    const path = posix.join('/boot/efi/EFI', rel);
    if ((await g.try('is-file', path))?.trim() === 'true') out[path] = (await g.run('checksum', 'sha256', path)).trim();
  }
  return out;
}
