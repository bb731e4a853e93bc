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
}

export interface LinuxGuestFacts extends GuestBase {
  family: 'linux';
  /** Appliance device holding /. */
  root: string;
  /** The filesystem type of / (vfs-type). */
  root_fs: string;
  /** What FIX mounts besides /: mountpoint → appliance device, in mount order. */
  mounts: { mountpoint: string; device: string }[];
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

export interface WindowsGuestFacts extends GuestBase {
  family: 'windows';
}

/** Inspection found an operating system no family module handles. */
export interface UnknownGuestFacts extends GuestBase {
  family: 'unknown';
}

export type GuestFacts = LinuxGuestFacts | WindowsGuestFacts | UnknownGuestFacts;

export function fileText(files: Record<string, GuestFile>, path: string): string | undefined {
  const f = files[path];
  return f?.kind === 'file' ? f.text : undefined;
}
