// Guest facts as inspection of a VMware-era Debian guest reports them: plain data for the pure
// planner and fixers (the e2e tests produce the same shape from the real fixture).
import type { GuestFile, LinuxGuestFacts, WindowsGuestFacts } from '../../src/model/guest-facts.js';

export const UUID = 'e053bffd-ad04-427e-8190-f27b95894d4f';
export const BYPATH = '/dev/disk/by-path/pci-0000:03:00.0-scsi-0:0:0:0-part1';

/** Guest files from text; "-> target" makes a symlink. */
export function guestFiles(files: Record<string, string>): Record<string, GuestFile> {
  return Object.fromEntries(
    Object.entries(files).map(([p, t]) => [
      p,
      t.startsWith('-> ') ? { kind: 'symlink', target: t.slice(3) } : { kind: 'file', text: t },
    ]),
  );
}

export function guest(over: Partial<LinuxGuestFacts> = {}, files: Record<string, string> = {}): LinuxGuestFacts {
  return {
    family: 'linux',
    os: { type: 'linux', distro: 'debian', major: 12, minor: 5, product: '12.5', arch: 'x86_64', hostname: 'g' },
    firmware: 'bios',
    partition_table: 'msdos',
    filesystems: [
      {
        device: '/dev/sda1',
        disk_index: 0,
        partition: 1,
        type: 'ext4',
        uuid: UUID,
        label: 'rootfs',
        partuuid: 'abcd-01',
      },
      { device: '/dev/sda5', disk_index: 0, partition: 5, type: 'swap', uuid: 'swap-uuid' },
    ],
    root: '/dev/sda1',
    root_fs: 'ext4',
    mounts: [],
    kernels: [
      {
        version: '6.1.0-50-amd64',
        virtio: { virtio_blk: 'module', virtio_net: 'module', virtio_pci: 'module', virtio_scsi: 'module' },
        initrd_bytes: 7e6,
      },
    ],
    initramfs_tool: 'initramfs-tools',
    bootloader: { kind: 'grub2', config: '/boot/grub/grub.cfg' },
    network: { backend: 'ifupdown' },
    vmware_tools: { installed: true, units: ['open-vm-tools.service'] },
    space: { '/': { free_bytes: 1e9, total_bytes: 2e9 } },
    files: guestFiles({
      '/etc/fstab': `# comment ${BYPATH}\n${BYPATH}  /  ext4  errors=remount-ro 0 1\n/dev/sda5 none swap sw 0 0\n`,
      '/boot/grub/grub.cfg': 'menuentry x {\n\tlinux /vmlinuz root=/dev/sda1 ro quiet\n}\n',
      '/etc/default/grub': 'GRUB_CMDLINE_LINUX=""\nGRUB_DISABLE_LINUX_UUID=true\n',
      '/etc/initramfs-tools/modules': 'vmw_pvscsi\n',
      '/etc/network/interfaces': 'auto lo\niface lo inet loopback\nallow-hotplug ens192\niface ens192 inet dhcp\n',
      '/etc/systemd/network/10-vmware.link': '[Match]\nMACAddress=00:50:56:8a:12:34\n[Link]\nName=ens192\n',
      '/etc/systemd/network/20-other.link': '[Match]\nMACAddress=52:54:00:00:00:01\n[Link]\nName=lan0\n',
      '/etc/systemd/system/multi-user.target.wants/open-vm-tools.service':
        '-> /lib/systemd/system/open-vm-tools.service',
      ...files,
    }),
    ...over,
  };
}

/** A Windows Server 2019 guest as inspection reports it (detected, not fixed). */
export function windowsGuest(): WindowsGuestFacts {
  const { filesystems, firmware } = guest();
  const os = { type: 'windows', distro: 'windows', major: 10, minor: 0, product: 'Windows Server 2019' };
  return {
    family: 'windows',
    partition_table: 'gpt',
    filesystems,
    firmware,
    os: { ...os, arch: 'x86_64', hostname: 'w' },
  };
}
