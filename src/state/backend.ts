// Where state, its lock and its audit journal live. Every command that reads or writes state goes
// through this interface; `local` (files under <config>/.h2k/) is the default implementation, `pg`
// (src/state/pg/) keeps them in Postgres for a fleet.
import { randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import type { AuditEntry, AuditProblem, AuditRecord, LockInfo, StateData } from '../model/state.js';

export interface HeldLock {
  readonly info: LockInfo;
  release(): Promise<void>;
  /** Holds the lock again after a lost connection, where the backend's lock lives in a session. */
  ensure?(): Promise<void>;
}

/** Who is taking a lock, for messages and force-unlock: a fresh ID, the user, host and process. */
export function newLockInfo(operation: string): LockInfo {
  return {
    id: randomUUID(),
    operation,
    who: userInfo().username,
    host: hostname(),
    pid: process.pid,
    created: new Date().toISOString(),
  };
}

/** Turns the newest stored state (undefined before the first write) into the next one. */
export type StateChange = (current: StateData | undefined) => StateData;

export interface StateBackend {
  /** Where the state lives, for messages (never with a password). */
  readonly location: string;
  /** The stored state, or undefined when none was written yet. */
  read(): Promise<StateData | undefined>;
  /** Reads the newest state, applies `next`, appends the audit record (setting `audit_head`) and
   *  stores both as one change: either both are kept or neither. Nothing is stored when neither the
   *  serial moved (the VM records changed) nor an audit record is given. Writers on several hosts (a fleet's
   *  workers) may commit at once; each commit sees the ones before it. Returns the stored state. */
  commit(next: StateChange, audit?: AuditEntry): Promise<StateData>;
  /** Takes the exclusive lock, waiting up to timeoutMs; a lock of a dead holder is reported, never taken. */
  lock(operation: string, timeoutMs?: number): Promise<HeldLock>;
  readLock(): Promise<LockInfo | undefined>;
  /** Removes the lock whose ID is given; returns who held it. */
  forceUnlock(id: string): Promise<LockInfo>;
  /** The journal's lines, oldest first, byte for byte as chained. */
  auditLines(): Promise<string[]>;
  /** Reads the journal and checks its chain against `head` (the state's audit_head). */
  verifyAudit(head?: string): Promise<{ records: AuditRecord[]; problems: AuditProblem[] }>;
  /** Keeps the plan an apply carries out (canonical plan JSON) under its hash: what the audit's
   *  plan_hash names, for `h2k report` and readers of the journal. Keeping one twice is harmless. */
  keepPlan(hash: string, json: string): Promise<void>;
  /** A plan kept by keepPlan, or undefined. */
  readPlan(hash: string): Promise<string | undefined>;
  /** Stores a state and its journal copied from another backend; refused when this one has either. */
  importState(data: StateData, auditLines: string[]): Promise<void>;
  /** Ends connections; the backend is not used after. */
  close(): Promise<void>;
}
