// What inspection learns about a guest: the planner's only view of the inside of a disk. One
// member per guest family (src/guests/<family>/), discriminated by `family`.

export interface FilesystemFact {
  /** Device in the inspection appliance, e.g. /dev/sda1. */
  device: string;
  /** 0-based disk order in the VM (the appliance's sda, sdb, ...). */
  disk_index: number;
  /** 1-based partition number; 0 for a whole-disk filesystem. */
  partition: number;
  type: string;
  uuid?: string;
  label?: string;
  partuuid?: string;
}

export interface OsFacts {
  /** libguestfs's inspect-get-type: linux, windows, ... */
  type: string;
  distro: string;
  major: number;
  minor: number;
  product: string;
  arch: string;
  hostname: string;
}

/** A guest file as inspection saw it. A path missing from the map does not exist. */
export type GuestFile = { kind: 'file'; text: string } | { kind: 'symlink'; target: string };

export type VirtioState = 'builtin' | 'module' | 'missing';

export interface KernelFact {
  version: string;
  virtio: Record<string, VirtioState>;
  /** Its initramfs (/boot/initrd.img-V on Debian and Ubuntu, /boot/initramfs-V.img on the RHEL family). */
  initrd?: string;
  /** Size of its current initramfs, to check /boot has room for a rebuild. */
  initrd_bytes?: number;
  /** The virtio drivers its current initramfs holds (absent when it could not be read). */
  initrd_virtio?: string[];
}

interface GuestBase {
  os: OsFacts;
  firmware: 'bios' | 'uefi';
  partition_table: string;
  filesystems: FilesystemFact[];
  /** Snapper snapshots of a btrfs root, by subvolume: the root's history, never edited. */
  snapshots?: string[];
  /** Each disk's WWN as the guest saw it on VMware, in disk order (null: unknown); absent: none known. */
  disk_wwns?: (string | null)[];
  /** LUKS volumes opened with their luks_keys passphrase, under the name the guest's crypttab gives them
   *  (so the initramfs FIX rebuilds finds them as the guest does). */
  luks?: LuksVolume[];
}

/** An encrypted volume inspection opened: `device` (/dev/sda2) holds it, `/dev/mapper/<name>` is it open. */
export interface LuksVolume {
  device: string;
  name: string;
}

/** A filesystem as FIX mounts it: an appliance device at a guest mountpoint; `options`: the mount
 *  options that choose what of it the guest mounts there (a btrfs subvolume: `subvol=/@/var`). */
export interface GuestMount {
  mountpoint: string;
  device: string;
  options?: string;
}

/** A read-only btrfs scrub's verdict: clean, damaged (its error summary), not run (why) or deferred to
 *  FIX (remote disks), and how much it read. */
export interface BtrfsScrub {
  result: 'clean' | 'damaged' | 'not run' | 'deferred';
  summary: string;
}

export interface LinuxGuestFacts extends GuestBase {
  family: 'linux';
  /** Appliance device holding /. */
  root: string;
  /** The filesystem type of / (vfs-type). */
  root_fs: string;
  /** A btrfs root: its filesystem scrubbed, read-only, at inspection. */
  btrfs_scrub?: BtrfsScrub;
  /** What FIX mounts besides /, in mount order. */
  mounts: GuestMount[];
  kernels: KernelFact[];
  /** Names of the modules of src/guests/linux/ that recognised the guest ('unknown': none did). */
  initramfs_tool: string;
  bootloader: { kind: string; config?: string };
  network: { backend: string };
  vmware_tools: { installed: boolean; units: string[] };
  /** UEFI guests: the files under the ESP's \EFI directory (path → sha256), as /boot/efi mounts it. */
  efi_files?: Record<string, string>;
  space: Record<string, { free_bytes: number; total_bytes: number }>;
  /** Guest files the planner reads, by path. */
  files: Record<string, GuestFile>;
}

/** A registry value; strings decoded (UTF-16LE, trailing NULs dropped), other types as hex bytes. */
export type RegValue =
  | { type: 'sz' | 'expand_sz'; data: string }
  | { type: 'multi_sz'; data: string[] }
  | { type: 'dword'; data: number }
  | { type: 'binary'; data: string }
  /** Any other type (REG_NONE, REG_QWORD, ...): its number and its bytes in hex. */
  | { type: 'raw'; code: number; data: string };

/** A registry key: its path below the hive's root (backslashes, as on disk), its values by name
 *  ('' is the default value) and the names of its subkeys. */
export interface RegKey {
  path: string;
  values: Record<string, RegValue>;
  subkeys: string[];
}

/** A network adapter the guest has configured, from its SYSTEM hive. */
export interface WindowsNic {
  /** NetCfgInstanceId: the GUID TCP/IP settings are filed under. */
  guid: string;
  /** vmxnet3, e1000, e1000e, or the adapter's ComponentId when it is none of them. */
  driver: string;
  description: string;
  /** The connection's name ("Ethernet0"). */
  name?: string;
  dhcp: boolean;
  addresses: { ip: string; mask: string }[];
  gateways: string[];
  dns: string[];
}

/** A file of the virtio-win drivers, relative to its root, as plan saw it. */
export interface VirtioFile {
  path: string;
  sha256: string;
  bytes: number;
}

/** What virtio-win (policy virtio_win) holds for this guest. */
export interface VirtioWinFacts {
  /** The policy's value, as written (relative to the configuration directory). */
  source: string;
  kind: 'directory' | 'iso';
  /** virtio-win's directory names for this guest's Windows version and architecture. */
  os_dir: string;
  arch_dir: string;
  /** Each driver with files for them (its directory name → the files). */
  drivers: Record<string, VirtioFile[]>;
  /** The boot (block) driver's .inf as read: its install section and the PCI IDs it binds. */
  boot?: { driver: string; inf: string; section: string; hardware_ids: string[] };
}

export interface WindowsGuestFacts extends GuestBase {
  family: 'windows';
  /** Appliance device of the Windows volume (C:). */
  root: string;
  /** The ESP's device (UEFI guests). */
  esp?: string;
  /** %SystemRoot% as cased on disk, e.g. /Windows. */
  systemroot: string;
  /** InstallationType: Server or Client. */
  variant: string;
  /** CurrentBuildNumber, e.g. 17763. */
  build: string;
  /** Select\Current as a key name: ControlSet001. */
  control_set: string;
  /** %SystemRoot% as Windows names it: C:\Windows. */
  systemroot_win: string;
  /** Where FIX writes, as cased on disk (C: mounted at /C, the ESP at /ESP): the drivers directory,
   *  the driver store h2k fills, its own directory, the local Group Policy's files, the ESP's loaders. */
  paths: {
    drivers: string;
    virtio: string;
    h2k: string;
    gpt_ini: string;
    scripts_ini: string;
    esp_boot_manager?: string;
    esp_fallback?: string;
  };
  /** Whether HKLM\SYSTEM\DriverDatabase exists (Windows 8 / 2012 and later). */
  driver_database: boolean;
  nics: WindowsNic[];
  vmware_tools?: { product_code: string; name: string; version: string };
  /** Installed products that are antivirus or endpoint agents (their display names). */
  antivirus: string[];
  /** Group Policy device installation restrictions that are on (value names). */
  device_install_restrictions: string[];
  /** Why the disk is not safe to change: BitLocker volumes, hibernated or unclean NTFS, dynamic disks. */
  unsafe: { code: 'bitlocker' | 'ntfs-hibernated' | 'ntfs-unclean' | 'dynamic-disk'; device: string }[];
  /** Hive files (guest paths under the mounts FIX uses) and their sha256 as inspection read them. */
  hives: Record<'system' | 'software', { path: string; sha256: string; bytes: number }>;
  /** UEFI: the boot manager and the removable-media fallback loader on the ESP (sha256; absent: no file). */
  efi?: { boot_manager?: string; fallback?: string };
  virtio_win?: VirtioWinFacts;
  /** Why virtio-win could not be used (missing path, no drivers for this version). */
  virtio_win_problem?: string;
  space: { free_bytes: number; total_bytes: number };
  /** The registry keys the planner reads, by hive. */
  registry: Record<'system' | 'software', RegKey[]>;
  /** Guest text files the planner reads, by path. */
  files: Record<string, GuestFile>;
}

/** Inspection found an operating system no family module handles. */
export interface UnknownGuestFacts extends GuestBase {
  family: 'unknown';
  /** LUKS volumes left closed (no passphrase in luks_keys): no system found outside them. */
  locked?: string[];
}

export type GuestFacts = LinuxGuestFacts | WindowsGuestFacts | UnknownGuestFacts;

export function fileText(files: Record<string, GuestFile>, path: string): string | undefined {
  const f = files[path];
  return f?.kind === 'file' ? f.text : undefined;
}
