// Guest facts as inspection of a VMware-era Debian guest reports them: plain data for the pure
// planner and fixers (the e2e tests produce the same shape from the real fixture).
import type { GuestFacts } from '../../src/model/guest-facts.js';

export const UUID = 'e053bffd-ad04-427e-8190-f27b95894d4f';
export const BYPATH = '/dev/disk/by-path/pci-0000:03:00.0-scsi-0:0:0:0-part1';

export function guest(over: Partial<GuestFacts> = {}, files: Record<string, string> = {}): GuestFacts {
  return {
    os: { type: 'linux', distro: 'debian', major: 12, minor: 5, product: '12.5', arch: 'x86_64', hostname: 'g' },
    firmware: 'bios',
    partitionTable: 'msdos',
    filesystems: [
      {
        device: '/dev/sda1',
        diskIndex: 0,
        partition: 1,
        type: 'ext4',
        uuid: UUID,
        label: 'rootfs',
        partuuid: 'abcd-01',
      },
      { device: '/dev/sda5', diskIndex: 0, partition: 5, type: 'swap', uuid: 'swap-uuid' },
    ],
    root: '/dev/sda1',
    mounts: [],
    kernels: [
      {
        version: '6.1.0-50-amd64',
        virtio: { virtio_blk: 'module', virtio_net: 'module', virtio_pci: 'module', virtio_scsi: 'module' },
        initrdBytes: 7e6,
      },
    ],
    initramfsTool: 'initramfs-tools',
    bootloader: { kind: 'grub2', config: '/boot/grub/grub.cfg' },
    network: { backend: 'ifupdown' },
    vmwareTools: { installed: true, units: ['open-vm-tools.service'] },
    space: { '/': { freeBytes: 1e9, totalBytes: 2e9 } },
    files: {
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
    },
    ...over,
  };
}
