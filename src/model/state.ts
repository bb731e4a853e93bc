// What the state records: per VM per stage, the result of apply; the lock's holder; the audit
// journal's records. The state backends (src/state/) store these.
import type { Stage } from './plan.js';

export const STATE_VERSION = 1;

export interface OutputRecord {
  path: string;
  size: number;
  sha256: string;
}

export interface StageResult {
  /** interrupted: SIGINT/SIGTERM arrived while the stage ran; it is redone from a clean start. */
  status: 'done' | 'failed' | 'interrupted';
  input_hash: string;
  plan_hash?: string;
  outputs: OutputRecord[];
  started_at: string;
  finished_at: string;
  error?: string;
  details?: Record<string, unknown>;
  /** The host that ran the stage: in a fleet, where its outputs were written. */
  host?: string;
}

export interface VmState {
  stages: Partial<Record<Stage, StageResult>>;
}

export interface StateData {
  version: number;
  serial: number;
  lineage: string;
  vms: Record<string, VmState>;
  /** sha256 of the newest audit record: lets `audit verify` notice records cut from the end. */
  audit_head?: string;
}

export interface LockInfo {
  id: string;
  operation: string;
  who: string;
  host: string;
  pid: number;
  created: string;
}

export type AuditEvent =
  | 'plan-created'
  | 'apply-started'
  | 'apply-finished'
  | 'stage-done'
  | 'stage-failed'
  | 'stage-interrupted'
  | 'state-rm'
  | 'state-refresh'
  | 'force-unlock';

export interface AuditRecord {
  seq: number;
  time: string;
  who: string;
  host: string;
  event: AuditEvent;
  vm?: string;
  stage?: string;
  plan_hash?: string;
  details?: Record<string, unknown>;
  prev_sha256: string;
}

/** What a caller says; sequence, time, who, host and the chain are added by the backend. */
export type AuditEntry = Omit<AuditRecord, 'seq' | 'time' | 'who' | 'host' | 'prev_sha256'>;

export interface AuditProblem {
  line: number;
  problem: string;
}

/** What a stage reports when it completes: its outputs for the state, a note for the user. */
export interface StageOutcome {
  outputs: OutputRecord[];
  note?: string;
  details?: Record<string, unknown>;
}
