// What each source type knows about a VM beyond its disks: one member per source driver
// (src/providers/<type>/). The union is discriminated by `type`, the source block's type.

export interface LocalSourceFacts {
  type: 'local';
}

/** What vSphere's inventory says about a VM (govc vm.info), normalised across govc versions. */
export interface InventoryFacts {
  name: string;
  path: string;
  uuid: string;
  instance_uuid: string;
  guest_id: string;
  firmware: 'bios' | 'efi';
  cpus: number;
  memory_mib: number;
  power_state: string;
  change_version: string;
  cbt: boolean;
  secure_boot: boolean;
  vtpm: boolean;
  encrypted: boolean;
  passthrough: string[];
  disks: InventoryDisk[];
  nics: InventoryNic[];
  /** Depth-first, parents before children. */
  snapshots: { name: string; depth: number; current: boolean }[];
}

export interface InventoryDisk {
  label: string;
  /** "[datastore] dir/file.vmdk" */
  file: string;
  capacity_bytes: number;
  thin: boolean;
  mode: string;
  sharing: string;
  rdm: boolean;
  controller: { type: string; bus: number; unit: number };
  change_id: string;
}

export interface InventoryNic {
  label: string;
  mac: string;
  network: string;
  adapter: string;
}

export interface VsphereSourceFacts {
  type: 'vsphere';
  inventory: InventoryFacts;
}

/** What an OVF descriptor says about the VirtualSystem a vm block selected. */
export interface OvaSourceFacts {
  type: 'ova';
  /** An .ova archive, or an .ovf descriptor with its files beside it. */
  package: 'ova' | 'ovf';
  system: string;
  os_type?: string;
  /** The manifest's digest algorithm, or none when the package has no manifest. */
  manifest: 'sha1' | 'sha256' | 'sha512' | 'none';
  disks: { href: string; capacity_bytes: number; controller: { type: string; bus: number; unit: number } }[];
  nics: { mac?: string; network?: string; adapter?: string }[];
}

/** What a standalone ESXi host's files say about a VM (its .vmx, .vmsd and lock). */
export interface EsxiSourceFacts {
  type: 'esxi';
  /** "[datastore] dir/name.vmx" */
  path: string;
  name: string;
  uuid?: string;
  guest_os?: string;
  /** A .vmx.lck next to the .vmx: the host runs the VM. */
  powered_on: boolean;
  snapshots: string[];
  disks: { file: string; controller: { type: string; bus: number; unit: number } }[];
  nics: { mac?: string; adapter?: string; network?: string }[];
}

export type SourceFacts = LocalSourceFacts | VsphereSourceFacts | OvaSourceFacts | EsxiSourceFacts;
