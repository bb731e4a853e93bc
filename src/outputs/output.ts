// What an output module provides: the files it writes for a converted VM (known at plan time, shown
// in the plan), their contents, and a check of them once written. One folder per output under
// src/outputs/, one line in registry.ts.
import type { DomainHints } from '../guests/family.js';
import type { HardwareFacts } from '../model/facts.js';

/** A converted VM as every output describes it. */
export interface MachineSpec {
  /** The VM's slug: its files' base name and the machine's name. */
  name: string;
  /** The converted disks' absolute paths, boot disk first. */
  disks: string[];
  format: string;
  /** Each disk's virtual size (the plan's facts), for outputs that size volumes. */
  diskBytes?: number[];
  hw: HardwareFacts;
  hints?: DomainHints;
}

export interface KvmOutput {
  /** PURE: the files written for a VM with this slug, relative to the policy's output_dir. */
  files(slug: string): string[];
  /** PURE: their contents, in the order files() names them. */
  render(machine: MachineSpec): string[];
  /** Checks the written files (same order); a one-line problem, or undefined when they hold. */
  check(paths: string[]): Promise<string | undefined>;
}
