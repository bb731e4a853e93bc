// The migration report: per VM, what was intended (the applied plan) and what was done (the state's
// stage records), rebuilt from state and audit by `h2k report`, written by `h2k apply`.
import type { DiskFacts, HardwareFacts } from './facts.js';
import type { Finding, GuestEdit, PlannedGuest, Stage } from './plan.js';
import type { ServiceCheckResult } from './service-check.js';
import type { SourceFacts } from './source-facts.js';
import type { OutputRecord, StageResult } from './state.js';

export interface ReportStage {
  stage: Stage;
  status: StageResult['status'];
  host?: string;
  started_at: string;
  seconds: number;
  /** A done stage's note is not kept in state; a failed one's error is. */
  error?: string;
}

/** What VALIDATE's boot test proved, as recorded. */
export interface ReportBoot {
  passed: boolean;
  seconds: number;
  via: string;
  accel: string;
  checks: Record<string, boolean>;
  network?: { ip: string; how: string };
  /** The policy's service checks, inside the guest and from outside. */
  services?: ServiceCheckResult[];
  /** Config-relative paths, as the state records them; the report embeds what they hold. */
  screenshot?: string;
  serial_log?: string;
}

/** migrated: every planned stage done; failed/interrupted: the last recorded stage says so. */
export type Verdict = 'migrated' | 'failed' | 'interrupted' | 'incomplete';

export interface VmReport {
  address: string;
  verdict: Verdict;
  /** The stage that failed or was interrupted, or the last one done. */
  at?: Stage;
  stages: ReportStage[];
  /** Wall seconds of its stages, summed (not end minus start: a resumed VM waited in between). */
  seconds: number;
  /** Bytes of the converted disks. */
  bytes: number;
  outputs: OutputRecord[];
  /** Where its outputs go (config-relative): its report.html is written there. */
  output_dir?: string;
  /** The plan its newest stage ran under; absent when that plan was not kept (an older h2k applied it). */
  plan_hash?: string;
  /** What the source said about the VM and its disks, as planned. */
  source?: { address: string; facts: SourceFacts; disks: DiskFacts[] };
  target?: HardwareFacts;
  /** What inspection found in the guest, as planned. */
  guest?: PlannedGuest;
  findings: Finding[];
  /** The guest changes of the plan that ran FIX. */
  edits: GuestEdit[];
  boot?: ReportBoot;
  /** The audit's record of the apply that ran its newest stage. */
  applied?: { who: string; host: string; time: string };
}

export interface MigrationReport {
  lineage: string;
  serial: number;
  /** The journal the report was checked against: its records, and its first problem if it does not verify. */
  audit: { records: number; problem?: string };
  vms: VmReport[];
}
