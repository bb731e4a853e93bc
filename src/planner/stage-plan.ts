// What each stage declares at plan time (src/stages/<stage>.ts implements it): what its result
// depends on, the plan's line for it, and what it writes where. The planner iterates the ordered
// pipeline it is given; it knows no stage by name.
import type { HardwareFacts, SourceFingerprint } from '../model/facts.js';
import type { NicIntent } from '../model/guest-network.js';
import type { Finding, GuestEdit, PlannedGuest, Stage, VmFacts, VmOutputs } from '../model/plan.js';
import type { VmConfig } from '../schema/config.js';

/** Everything a stage's plan-time rule may look at, once the planner derived it. */
export interface StagePlanContext {
  vm: VmConfig;
  facts: VmFacts;
  fingerprint: SourceFingerprint;
  /** What the source's FETCH does, for sources that have one. */
  fetch?: string;
  edits: GuestEdit[];
  findings: Finding[];
  outputs: VmOutputs;
  hardware: HardwareFacts;
  network?: NicIntent[];
  /** Whether VALIDATE boots the guest, and why not when the family cannot be boot-tested here. */
  boot: { on: boolean; untestable?: string };
}

/** Where a stage writes: the policy's output_dir, or h2k's workspace (.h2k/: fetched copies, overlays). */
export type WritePlace = 'output' | 'work' | 'fetch';

export interface StagePlan {
  stage: Stage;
  /** PURE: what the stage's result depends on (hashed with everything upstream) and the plan's line
   *  for it; undefined when this VM has no such stage (a source without FETCH). */
  plan(c: StagePlanContext): { inputs: unknown; reason: string; edits?: GuestEdit[] } | undefined;
  /** PURE: what the stage writes at most, and where (the plan's free-space check, apply's full-disk
   *  message); absent when it writes nothing worth counting. */
  writes?: { place: WritePlace; bytes(disks: VmFacts['disks'], guest?: VmFacts['guest'] | PlannedGuest): number };
  /** The drift to report when the stage was done and is planned again (its input changed). */
  redoneMeans?: string;
}
