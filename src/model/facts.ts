// Facts about a VM's disks and hardware, as providers gather them and as the plan records them.
// Keys are snake_case because they are the plan JSON's keys.

export interface ChainLayer {
  /** Relative to the source's directory (vSphere: to the disk's datastore directory). */
  file: string;
  format: string;
  data_files: string[];
}

export interface DiskFacts {
  /** As the source names it: a file relative to the source directory, or "[ds] dir/file.vmdk". */
  name: string;
  format: string;
  virtual_bytes: number;
  allocated_bytes: number;
  /** Every layer, top first. Empty when the chain was not read (plan -inspect=false). */
  chain: ChainLayer[];
  /** The WWN the guest saw (32 hex digits, from the VMDK's ddb.uuid), when the disk has one. */
  wwn?: string;
}

export interface FingerprintFile {
  file: string;
  size: number;
  mtime_ms: number;
  sample_sha256: string;
}

/** Cheap identity of a source's disks: a later stage compares it before trusting the plan. */
export interface SourceFingerprint {
  files: FingerprintFile[];
  descriptor_sha256: string;
  /** vSphere: the VM's identity and change state from the inventory. */
  vsphere?: { instance_uuid: string; change_version: string; change_ids: string[] };
}

/** What the source says about the VM's hardware; the planner turns it into the KVM guest's. */
export interface SourceHardware {
  cpus?: number;
  memory_mib?: number;
  /** Absent when only the guest's disk can tell (local sources). */
  firmware?: 'bios' | 'uefi';
  /** vSphere's efiSecureBootEnabled; absent where the source cannot tell. */
  secure_boot?: boolean;
  nics: { mac?: string; network?: string }[];
}

export interface NicFacts {
  mac: string;
  model: string;
  /** The source network's name. */
  network?: string;
  /** Where the policy attaches NICs of that network (policy `networks`); absent: by its name. */
  attach?: { network?: string; bridge?: string; macvtap?: string; multus?: string };
}

/** The KVM guest's hardware, decided by the planner. */
export interface HardwareFacts {
  cpus: number;
  memory_mib: number;
  firmware: 'bios' | 'uefi';
  /** UEFI Secure Boot on (OVMF with Microsoft's keys); absent when off. */
  secure_boot?: true;
  nics: NicFacts[];
}

/** The guest data the disks hold, all together: what a copy of them writes at most. */
export function allocatedBytes(disks: DiskFacts[]): number {
  return disks.reduce((n, d) => n + d.allocated_bytes, 0);
}

/** Same fingerprint files? Returns the files that differ (empty when equal). */
export function changedFiles(was: FingerprintFile[], now: FingerprintFile[]): string[] {
  const changed = was.filter((f) => {
    const n = now.find((x) => x.file === f.file);
    return !n || n.size !== f.size || n.mtime_ms !== f.mtime_ms || n.sample_sha256 !== f.sample_sha256;
  });
  const added = now.filter((n) => !was.some((f) => f.file === n.file));
  return [...changed, ...added].map((f) => f.file);
}
