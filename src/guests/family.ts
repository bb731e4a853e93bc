// What a guest family module provides: inspection of its guests, the edits FIX makes (planned,
// pure), what FIX mounts, and what a boot test looks for. One folder per family under src/guests/.
import type { ServiceChecks } from '../model/service-check.js';
import type { GuestEdit, RawFinding } from '../model/plan.js';
import type { GuestFacts, GuestMount, LuksVolume, OsFacts, FilesystemFact } from '../model/guest-facts.js';
import type { NicBinding, NicIntent } from '../model/guest-network.js';
import type { PolicySettings } from '../schema/config-schema.js';
import type { GuestReader, GuestfishSession } from '../tools/guestfish.js';

/** What every family's inspection starts from: the root libguestfs found and the disks' filesystems. */
export interface InspectionBase {
  os: OsFacts;
  root: string;
  partition_table: string;
  filesystems: FilesystemFact[];
  /** btrfs subvolumes of snapper snapshots of the root (guests/inspect.ts). */
  snapshots: string[];
  /** Each disk's WWN as the source saw it (DiskFacts.wwn), in disk order; null: none known. */
  disk_wwns: (string | null)[];
  /** The LUKS volumes opened to read the guest. */
  luks: LuksVolume[];
}

export interface PlannedEdits {
  edits: GuestEdit[];
  findings: RawFinding[];
  /** The network the guest will configure after FIX, when its configuration could be read. */
  network?: NicIntent[];
}

/** What inspection may need from the host besides the disks: the VM's policy (e.g. where its
 *  drivers come from) and the configuration directory relative paths start from. */
export interface InspectionHost {
  policy: PolicySettings;
  configDir: string;
  /** The disks are read over the network (vSphere, ESXi): nothing that reads them whole. */
  remote?: boolean;
}

/** What the KVM machine needs for a family beyond the hardware (its outputs describe it so). */
export interface DomainHints {
  /** Windows keeps the hardware clock in local time. */
  clock: 'utc' | 'localtime';
  /** Hyper-V enlightenments (Windows runs markedly better with them under KVM). */
  hyperv: boolean;
}

/** Beyond the probe's report (src/model/boot-probe.ts), what a boot's serial log can tell. */
export interface BootEvidence {
  /** Console lines that mean the boot failed, with the cause to report. */
  failures: [RegExp, string][];
  /** Console prompts for a LUKS passphrase, the volume's name captured where the prompt names it. */
  passphrasePrompts?: RegExp[];
  /** Set when guests of this family cannot be boot-tested here: why, and what is checked instead
   *  (the plan's Warning and VALIDATE's note). */
  untestable?: string;
}

export interface GuestFamily<F extends GuestFacts = GuestFacts> {
  family: F['family'];
  /** Whether this family handles an OS of libguestfs's inspect-get-type. */
  handles(osType: string): boolean;
  /** Reads the guest in the (read-only) appliance; the root is not mounted yet. */
  inspect(g: GuestReader, base: InspectionBase, host: InspectionHost): Promise<F>;
  /** PURE: the edits FIX makes in this guest under a policy for the KVM NICs, and what is risky. */
  plan(guest: F, policy: PolicySettings, nics: NicBinding[]): PlannedEdits;
  /** Inspection reads host files too (the policy's driver tree), which may change while the disks do
   *  not: a stamp of them (paths, sizes, times) that changes when they do, so an earlier plan's facts
   *  are reused only under the same stamp (operations/facts-cache.ts). */
  hostInputs?(policy: PolicySettings, configDir: string): string;
  /** What FIX mounts before editing, / first (from the facts as the plan records them). */
  fixMounts(guest: Omit<F, 'files'>): GuestMount[];
  /** PURE: about how much FIX may write into the disks' overlays at most (they grow by it), for
   *  the plan's free-space check and apply's disk-full message. */
  fixWriteBytes(guest: Omit<F, 'files'>): number;
  /** FIX: the host directory the plan's upload edits copy from (closed after FIX). */
  openHostFiles?(policy: PolicySettings, configDir: string): Promise<{ root: string; close(): void }>;
  /** FIX: performs an edit only this family knows (a registry hive), and reads it back. */
  applyEdit?(g: GuestfishSession, edit: GuestEdit): Promise<void>;
  verifyEdit?(g: GuestfishSession, edit: GuestEdit): Promise<boolean>;
  boot: BootEvidence;
  domain?: DomainHints;
  /** Readies the throwaway overlay of a boot test (mounted as fixMounts says) to report evidence,
   *  and the results of the policy's service checks. */
  prepareBoot(g: GuestfishSession, guest: Omit<F, 'files'>, checks?: ServiceChecks): Promise<void>;
}
