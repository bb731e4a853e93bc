// What a source type provides, behind one registry (registry.ts): finding its VMs and their facts,
// the disks for plan-time inspection, the check that a source still matches its plan, and, for
// sources whose disks are not local files, FETCH. One folder per type under src/providers/.
import type { SourceFingerprint, DiskFacts, SourceHardware } from '../model/facts.js';
import type { RawFinding, VmPlan } from '../model/plan.js';
import type { SourceFacts } from '../model/source-facts.js';
import type { StageOutcome } from '../model/state.js';
import type { PolicySettings } from '../schema/config-schema.js';
import type { SourceConfig, VmConfig } from '../schema/config.js';
import type { Diagnostic } from '../schema/diagnostics.js';
import type { SourceSchema } from '../schema/source-types.js';
import type { GuestDisk } from '../tools/guestfish.js';

/** A VM's disks opened for the read-only inspection appliance. */
export interface InspectionDisks {
  disks: GuestDisk[];
  /** Turns a failed inspection into the source's own error when the source is the cause. */
  explain(err: unknown): Promise<unknown>;
  /** Releases what open() started; returns the bytes read from a remote source (0 for local files). */
  close(): Promise<number>;
  /** Every read crosses the network: inspection reads only what it must (no scrub). */
  remote?: boolean;
}

export interface SourceVmFacts {
  source: SourceFacts;
  disks: DiskFacts[];
  hardware: SourceHardware;
  fingerprint: SourceFingerprint;
  /** Absent when the plan does not inspect guests (-inspect=false). */
  open?: () => Promise<InspectionDisks>;
}

/** One VM of the configuration found in its source (discovery may make several of one vm block). */
export interface FoundVm {
  vm: VmConfig;
  /** Reads the VM's disk facts (and prepares inspection): may cost I/O, so it runs under -parallelism. */
  facts(): Promise<SourceVmFacts>;
}

export interface Located {
  found: FoundVm[];
  /** Selectors that match nothing or too much, pointing at the configuration. */
  problems: Diagnostic[];
  close(): void;
}

export interface FetchInput {
  source: SourceConfig;
  vm: VmPlan;
  policy: PolicySettings;
  /** Where the copies go: disk N's files in <dir>/disk<N>/. */
  dir: string;
  configDir: string;
  onStep: (message: string) => void;
  /** How far a download is (progressMeter's line). */
  onProgress: (message: string) => void;
}

export interface SourceDriver {
  type: SourceFacts['type'];
  /** The source block's schema, decoding, and checks of the vm blocks that use it. */
  schema: SourceSchema;
  locate(
    source: SourceConfig,
    vms: VmConfig[],
    opts: { inspect: boolean; progress: (m: string) => void },
  ): Promise<Located>;
  /** PURE: what the source's own facts say is risky. */
  findings(facts: SourceFacts, policy: PolicySettings): RawFinding[];
  /** Copies (or verifies) the disks before FLATTEN; absent when the disks are local files already.
   *  `summary` is what the plan says the stage does. */
  fetch?: { summary: string; run(input: FetchInput): Promise<StageOutcome> };
  /** Refuses (with a UserError) when the source no longer matches what the plan saw. */
  checkUnchanged(source: SourceConfig, vm: VmPlan, cfgVm: VmConfig): Promise<void>;
  /** Each disk's top file, which FLATTEN puts an overlay on, in disk order; `fetchDir` holds FETCH's copies. */
  diskEntries(source: SourceConfig, vm: VmPlan, fetchDir: string): Promise<{ path: string; format: string }[]>;
}
