// What inspection learns about a guest: the planner's only view of the inside of a disk.
import type { FilesystemFact } from '../guests/linux/device-names.js';

export type VirtioState = 'builtin' | 'module' | 'missing';

export interface KernelFact {
  version: string;
  virtio: Record<string, VirtioState>;
  /** Size of its current initramfs, to check /boot has room for a rebuild. */
  initrdBytes?: number;
}

export interface GuestFacts {
  os: {
    type: string; // linux, windows, unknown
    distro: string;
    major: number;
    minor: number;
    product: string;
    arch: string;
    hostname: string;
  };
  firmware: 'bios' | 'uefi';
  partitionTable: string;
  filesystems: FilesystemFact[];
  /** Appliance device holding /. */
  root: string;
  /** Appliance device holding /boot when it is separate. */
  boot?: string;
  /** What FIX must mount besides /: mountpoint → appliance device, in mount order. */
  mounts: { mountpoint: string; device: string }[];
  kernels: KernelFact[];
  initramfsTool: 'initramfs-tools' | 'dracut' | 'mkinitcpio' | 'unknown';
  bootloader: { kind: 'grub2' | 'unknown'; config?: string };
  network: { backend: 'ifupdown' | 'netplan' | 'networkmanager' | 'systemd-networkd' | 'none' };
  vmwareTools: { installed: boolean; units: string[] };
  space: Record<string, { freeBytes: number; totalBytes: number }>;
  /** Guest files the planner reads, by path; symlinks as "-> target". */
  files: Record<string, string>;
}
