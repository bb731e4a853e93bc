// Guest inspection in ONE read-only appliance launch. libguestfs's own `-i` mounting follows fstab
// and dies on /dev/disk/by-path names (the VMware trap), so we use inspect-os only to find the root,
// then resolve fstab ourselves and mount explicitly.
import { posix } from 'node:path';
import { resolveSpec, type FilesystemFact } from './device-names.js';
import { type GuestDisk, GuestfishSession } from '../../tools/guestfish.js';
import type { GuestFacts, KernelFact, VirtioState } from '../../model/guest-facts.js';

export const VIRTIO_MODULES = ['virtio_blk', 'virtio_net', 'virtio_pci', 'virtio_scsi'];

/** Files whose content decisions depend on; globs are expanded in the guest. */
const WATCHED = [
  '/etc/fstab',
  '/etc/crypttab',
  '/etc/default/grub',
  '/boot/grub/grub.cfg',
  '/boot/grub2/grub.cfg',
  '/etc/initramfs-tools/initramfs.conf',
  '/etc/initramfs-tools/modules',
  '/etc/dracut.conf',
  '/etc/network/interfaces',
  '/etc/udev/rules.d/70-persistent-net.rules',
  '/etc/os-release',
];
const WATCHED_DIRS: [string, RegExp][] = [
  ['/etc/network/interfaces.d', /./],
  ['/etc/systemd/network', /\.(link|network)$/],
  ['/etc/netplan', /\.ya?ml$/],
  ['/etc/NetworkManager/system-connections', /./],
  ['/etc/systemd/system/multi-user.target.wants', /^(open-vm-tools|vmtoolsd|vmware-tools|vgauth)/],
];

export class InspectionError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

export async function inspectGuest(disks: GuestDisk[]): Promise<GuestFacts> {
  const g = await GuestfishSession.launch(disks, { readonly: true });
  try {
    return await inspectWith(g, disks.length);
  } finally {
    await g.close();
  }
}

function lines(s: string | undefined): string[] {
  return (s ?? '').split('\n').filter((l) => l.trim() !== '');
}

async function inspectWith(g: GuestfishSession, diskCount: number): Promise<GuestFacts> {
  const filesystems = await listFilesystems(g, diskCount);
  const roots = lines(await g.run('inspect-os'));
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
  const partitionTable = ((await g.try('part-get-parttype', '/dev/sda')) ?? 'none').trim();
  const base = { os, partitionTable, filesystems, root };
  if (os.type !== 'linux') {
    return {
      ...base,
      mounts: [],
      firmware: 'bios',
      kernels: [],
      initramfsTool: 'unknown',
      bootloader: { kind: 'unknown' },
      network: { backend: 'none' },
      vmwareTools: { installed: false, units: [] },
      space: {},
      files: {},
    };
  }

  await g.run('mount-ro', root, '/');
  const files: Record<string, string> = {};
  const fstab = await g.readFile('/etc/fstab');
  if (fstab !== undefined) files['/etc/fstab'] = fstab;
  // Mount /boot (and /boot/efi) from fstab, resolving names ourselves.
  let boot: string | undefined;
  const mounts: GuestFacts['mounts'] = [];
  for (const entry of parseFstabMounts(fstab ?? '')) {
    if (entry.mountpoint !== '/boot' && entry.mountpoint !== '/boot/efi') continue;
    const fs = resolveSpec(entry.spec, filesystems);
    if (!fs || (await g.try('mount-ro', fs.device, entry.mountpoint)) === undefined) continue;
    mounts.push({ mountpoint: entry.mountpoint, device: fs.device });
    if (entry.mountpoint === '/boot') boot = fs.device;
  }

  for (const path of WATCHED) {
    if (files[path] !== undefined) continue;
    const text = await g.readFile(path);
    if (text !== undefined) files[path] = text;
  }
  for (const [dir, pattern] of WATCHED_DIRS) {
    if (!(await isDir(g, dir))) continue;
    for (const name of lines(await g.run('ls', dir))
      .filter((n) => pattern.test(n))
      .sort()) {
      const p = posix.join(dir, name);
      const link = (await g.try('is-symlink', p))?.trim() === 'true';
      if (link) files[p] = `-> ${(await g.run('readlink', p)).trim()}`;
      else {
        const text = await g.readFile(p);
        if (text !== undefined) files[p] = text;
      }
    }
  }

  const kernels = await kernelFacts(g);
  const exists = async (p: string) => (await g.try('exists', p))?.trim() === 'true';
  const initramfsTool = (await exists('/usr/sbin/update-initramfs'))
    ? 'initramfs-tools'
    : (await exists('/usr/bin/dracut'))
      ? 'dracut'
      : (await exists('/usr/bin/mkinitcpio'))
        ? 'mkinitcpio'
        : 'unknown';
  const grubCfg = ['/boot/grub/grub.cfg', '/boot/grub2/grub.cfg'].find((p) => files[p] !== undefined);
  const network = {
    backend:
      files['/etc/network/interfaces'] !== undefined && (await exists('/sbin/ifup'))
        ? ('ifupdown' as const)
        : Object.keys(files).some((f) => f.startsWith('/etc/netplan/'))
          ? ('netplan' as const)
          : (await exists('/usr/sbin/NetworkManager'))
            ? ('networkmanager' as const)
            : Object.keys(files).some((f) => f.endsWith('.network'))
              ? ('systemd-networkd' as const)
              : ('none' as const),
  };
  const tools = (await exists('/usr/bin/vmtoolsd')) || (await exists('/etc/vmware-tools'));
  const units = Object.keys(files)
    .filter((f) => f.startsWith('/etc/systemd/system/multi-user.target.wants/'))
    .map((f) => posix.basename(f));
  const space: GuestFacts['space'] = {};
  for (const mp of ['/', ...(boot ? ['/boot'] : [])]) {
    const st = parseKv(await g.run('statvfs', mp));
    space[mp] = { freeBytes: st.bavail * st.bsize, totalBytes: st.blocks * st.bsize };
  }
  const firmware =
    partitionTable === 'gpt' && filesystems.some((f) => f.type === 'vfat' && files['/etc/fstab']?.includes('/boot/efi'))
      ? 'uefi'
      : 'bios';
  await g.run('umount-all');
  return {
    ...base,
    firmware,
    ...(boot ? { boot } : {}),
    mounts,
    kernels,
    initramfsTool,
    bootloader: grubCfg ? { kind: 'grub2', config: grubCfg } : { kind: 'unknown' },
    network,
    vmwareTools: { installed: tools, units },
    space,
    files,
  };
}

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
      diskIndex,
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

function parseKv(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of lines(text)) {
    const [k, v] = l.split(':').map((s) => s.trim());
    out[k] = Number(v);
  }
  return out;
}

async function isDir(g: GuestfishSession, p: string): Promise<boolean> {
  return (await g.try('is-dir', p))?.trim() === 'true';
}

export function parseFstabMounts(text: string): { spec: string; mountpoint: string; type: string }[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(/\s+/))
    .filter((f) => f.length >= 3)
    .map(([spec, mountpoint, type]) => ({ spec, mountpoint, type }));
}

async function kernelFacts(g: GuestfishSession): Promise<KernelFact[]> {
  if (!(await isDir(g, '/lib/modules'))) return [];
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
    const initrd = (await g.try('filesize', `/boot/initrd.img-${version}`))?.trim();
    out.push({ version, virtio, ...(initrd ? { initrdBytes: Number(initrd) } : {}) });
  }
  return out;
}
