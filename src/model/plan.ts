// The plan: what apply will do, decided entirely before acting. Shared by plan, show and apply.
import type { GuestFacts } from './guest-facts.js';
import type { Drift } from './drift.js';

export const STAGES = ['fetch', 'flatten', 'inspect', 'plan', 'fix', 'convert', 'validate'] as const;
export type Stage = (typeof STAGES)[number];

export type Severity = 'critical' | 'warning' | 'info';

export interface Finding {
  /** Stable identifier, the word a policy's acknowledge list uses. */
  code: string;
  severity: Severity;
  message: string;
  acknowledged: boolean;
}

/** One change inside the guest, exactly as FIX will perform it. */
export type GuestEdit =
  | { kind: 'write'; path: string; before: string; after: string; reason: string }
  | { kind: 'delete'; path: string; before: string; reason: string }
  | { kind: 'symlink'; path: string; target: string; reason: string }
  | { kind: 'run'; command: string[]; reason: string }
  | { kind: 'trim'; reason: string };

export interface Action {
  id: string;
  stage: Stage;
  /** What apply records when the stage completes; a later plan compares against it. */
  input_hash: string;
  depends_on: string[];
  reason: string;
  edits?: GuestEdit[];
}

export interface DiskFacts {
  /** As configured (relative to the source directory). */
  name: string;
  format: string;
  virtualBytes: number;
  allocatedBytes: number;
  /** Every layer, top first, relative to the source directory. */
  chain: { file: string; format: string; dataFiles: string[] }[];
}

export interface SourceFingerprint {
  /** Per file of every chain, relative to the source directory (vSphere: datastore paths). */
  files: { file: string; size: number; mtimeMs: number; sampleSha256: string }[];
  descriptorSha256: string;
  /** vSphere: what the inventory says about the VM's identity and change state. */
  vsphere?: { instance_uuid: string; change_version: string; change_ids: string[] };
}

export interface HardwareFacts {
  cpus: number;
  memoryMiB: number;
  firmware: 'bios' | 'uefi';
  nics: { mac: string; model: string; network?: string }[];
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

export interface VmFacts {
  disks: DiskFacts[];
  /** Absent when plan ran with -inspect=false (control plane only): such a plan cannot be applied. */
  guest?: GuestFacts;
  hardware: HardwareFacts;
  inventory?: InventoryFacts;
}

export interface VmPlan {
  address: string;
  source: { address: string; type: 'local' | 'vsphere'; fingerprint: SourceFingerprint };
  facts: Record<string, unknown>;
  actions: Action[];
  findings: Finding[];
  outputs: { disk: { path: string; format: string }; domain_xml: { path: string } };
}

export interface Plan {
  format_version: string;
  config_hash: string;
  /** What changed on disk since the last apply, found by refreshing before planning. */
  drift: Drift[];
  state: { serial: number; lineage: string | null };
  vms: Record<string, VmPlan>;
}
