// Guest facts as inspection of a VMware-era Debian guest reports them: plain data for the pure
// planner and fixers (the e2e tests produce the same shape from the real fixture).
import type { GuestFile, LinuxGuestFacts, RegKey, WindowsGuestFacts } from '../../../src/model/guest-facts.js';

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

/** A Windows Server 2019 guest as inspection reports it: BIOS, one static vmxnet3 NIC, VMware
 *  Tools, virtio-win read (unless `virtio` is false). Registry keys: only what the planner reads. */
export function windowsGuest(over: Partial<WindowsGuestFacts> = {}, virtio = true): WindowsGuestFacts {
  const os = { type: 'windows', distro: 'windows', major: 10, minor: 0, product: 'Windows Server 2019 Standard' };
  const key = (path: string, subkeys: string[] = [], values: RegKey['values'] = {}): RegKey => ({
    path,
    subkeys,
    values,
  });
  const file = (path: string) => ({ path, sha256: path.length.toString(16).padStart(64, '0'), bytes: 1000 });
  const drivers = {
    NetKVM: ['NetKVM/2k19/amd64/netkvm.cat', 'NetKVM/2k19/amd64/netkvm.inf', 'NetKVM/2k19/amd64/netkvm.sys'].map(file),
    viostor: ['viostor/2k19/amd64/viostor.cat', 'viostor/2k19/amd64/viostor.inf', 'viostor/2k19/amd64/viostor.sys'].map(
      file,
    ),
  };
  return {
    family: 'windows',
    os: { ...os, arch: 'x86_64', hostname: 'win2019-app' },
    firmware: 'bios',
    partition_table: 'msdos',
    filesystems: [
      { device: '/dev/sda1', disk_index: 0, partition: 1, type: 'ntfs', label: 'System Reserved', uuid: '1A2B' },
      { device: '/dev/sda2', disk_index: 0, partition: 2, type: 'ntfs', uuid: '3C4D' },
    ],
    root: '/dev/sda2',
    systemroot: '/Windows',
    systemroot_win: 'C:\\Windows',
    variant: 'Server',
    build: '17763',
    control_set: 'ControlSet001',
    driver_database: true,
    paths: {
      drivers: '/C/Windows/System32/drivers',
      virtio: '/C/Windows/Drivers/VirtIO',
      h2k: '/C/Windows/h2k',
      gpt_ini: '/C/Windows/System32/GroupPolicy/gpt.ini',
      scripts_ini: '/C/Windows/System32/GroupPolicy/Machine/Scripts/scripts.ini',
    },
    nics: [
      {
        guid: '{5A4B3C2D-1E0F-4A9B-8C7D-6E5F4A3B2C1D}',
        driver: 'vmxnet3',
        description: 'vmxnet3 Ethernet Adapter',
        name: 'Ethernet0',
        dhcp: false,
        addresses: [{ ip: '10.20.30.40', mask: '255.255.255.0' }],
        gateways: ['10.20.30.1'],
        dns: ['10.20.30.2', '10.20.30.3'],
      },
    ],
    vmware_tools: { product_code: '{8E1A9A6B-3C50-4F36-9D64-57B1F2C0A1D7}', name: 'VMware Tools', version: '11.3.5' },
    antivirus: [],
    device_install_restrictions: [],
    unsafe: [],
    hives: {
      system: { path: '/C/Windows/System32/config/SYSTEM', sha256: 'a'.repeat(64), bytes: 65536 },
      software: { path: '/C/Windows/System32/config/SOFTWARE', sha256: 'b'.repeat(64), bytes: 65536 },
    },
    ...(virtio
      ? {
          virtio_win: {
            source: 'virtio-win',
            kind: 'directory' as const,
            os_dir: '2k19',
            arch_dir: 'amd64',
            drivers,
            boot: {
              driver: 'viostor',
              inf: 'viostor/2k19/amd64/viostor.inf',
              section: 'rhelscsi_inst',
              hardware_ids: ['PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00'],
            },
          },
        }
      : {}),
    space: { free_bytes: 2 ** 30, total_bytes: 2 ** 31 },
    registry: {
      system: [
        key('', ['ControlSet001', 'DriverDatabase', 'Select']),
        key('ControlSet001', ['Control', 'Services']),
        key('ControlSet001\\Services', ['pvscsi', 'Tcpip']),
        key('DriverDatabase', ['DeviceIds', 'DriverInfFiles', 'DriverPackages']),
        key('DriverDatabase\\DeviceIds', ['{4d36e97b-e325-11ce-bfc1-08002be10318}']),
        key('DriverDatabase\\DriverInfFiles', ['oem0.inf', 'oem1.inf']),
        key('DriverDatabase\\DriverPackages', []),
        key('Select', [], { Current: { type: 'dword', data: 1 } }),
      ],
      software: [
        key('', ['Microsoft']),
        key('Microsoft', ['Windows', 'Windows NT']),
        key('Microsoft\\Windows', ['CurrentVersion']),
        key('Microsoft\\Windows\\CurrentVersion', ['Uninstall'], {
          DevicePath: { type: 'expand_sz', data: '%SystemRoot%\\inf' },
        }),
        key('Microsoft\\Windows NT', ['CurrentVersion']),
        key('Microsoft\\Windows NT\\CurrentVersion', [], { SystemRoot: { type: 'sz', data: 'C:\\Windows' } }),
      ],
    },
    files: {},
    ...over,
  };
}
