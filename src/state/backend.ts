// Where state, its lock and its audit journal live. Every command that reads or writes state goes
// through this interface; `local` (files under <config>/.h2k/) is the default implementation.
import type { AuditEntry, AuditProblem, AuditRecord, LockInfo, StateData } from '../model/state.js';

export interface HeldLock {
  readonly info: LockInfo;
  release(): Promise<void>;
}

export interface StateBackend {
  /** Where the state lives, for messages. */
  readonly location: string;
  /** The stored state, or undefined when none was written yet. */
  read(): Promise<StateData | undefined>;
  /** Replaces the stored state atomically (the previous version is kept where the backend can). */
  write(data: StateData): Promise<void>;
  /** Takes the exclusive lock, waiting up to timeoutMs; a lock of a dead holder is reported, never taken. */
  lock(operation: string, timeoutMs?: number): Promise<HeldLock>;
  readLock(): Promise<LockInfo | undefined>;
  /** Removes the lock whose ID is given; returns who held it. */
  forceUnlock(id: string): Promise<LockInfo>;
  /** Appends one record, chained to the previous one; returns the new head hash, and `undo` to take
   *  the record back when the state write that goes with it fails. */
  appendAudit(entry: AuditEntry): Promise<{ head: string; undo(): Promise<void> }>;
  /** Reads the journal and checks its chain against `head` (the state's audit_head). */
  verifyAudit(head?: string): Promise<{ records: AuditRecord[]; problems: AuditProblem[] }>;
}
