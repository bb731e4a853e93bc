// The default state backend: <config>/.h2k/state.json, state.lock and audit.jsonl.
import type { AuditEntry, LockInfo, StateData } from '../../model/state.js';
import { UserError } from '../../util/errors.js';
import { verifyAuditLines } from '../audit-chain.js';
import type { HeldLock, StateBackend, StateChange } from '../backend.js';
import { appendAudit, readAuditLines, writeAuditLines } from './audit.js';
import { StateLock, readLock, removeLock } from './lock.js';
import { keptPlanPath, readStateFile, stateDb, statePath } from './state-file.js';
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../util/files.js';

export class LocalBackend implements StateBackend {
  readonly location: string;
  private readonly db;

  constructor(private readonly configDir: string) {
    this.location = statePath(configDir);
    this.db = stateDb(this.location);
  }

  async read(): Promise<StateData | undefined> {
    await this.db.read();
    return this.db.data ?? undefined;
  }

  async commit(next: StateChange, audit?: AuditEntry): Promise<StateData> {
    const current = await this.read();
    const doc = next(current);
    // The journal and the state move together: a state that cannot be written (a full disk) takes
    // its audit record back, so `audit verify` never sees a record the state does not name.
    const appended = audit ? appendAudit(this.configDir, audit) : undefined;
    if (appended) doc.audit_head = appended.head;
    if (!appended && doc.serial === (current?.serial ?? 0)) return doc;
    try {
      this.db.data = doc;
      await this.db.write();
    } catch (err) {
      appended?.undo();
      throw err;
    }
    return doc;
  }

  async lock(operation: string, timeoutMs = 0): Promise<HeldLock> {
    return StateLock.acquire(this.configDir, operation, timeoutMs);
  }

  async readLock(): Promise<LockInfo | undefined> {
    return readLock(this.configDir);
  }

  async forceUnlock(id: string): Promise<LockInfo> {
    const lock = readLock(this.configDir);
    if (!lock) throw new UserError(`there is no lock on the state in ${this.configDir}`, 'nothing to do');
    if (lock.id !== id)
      throw new UserError(`the lock has ID ${lock.id}, not ${id}`, 'copy the ID from the lock error message');
    removeLock(this.configDir);
    return lock;
  }

  async auditLines(): Promise<string[]> {
    return readAuditLines(this.configDir);
  }

  async verifyAudit(head?: string) {
    return verifyAuditLines(readAuditLines(this.configDir), head);
  }

  async keepPlan(hash: string, json: string): Promise<void> {
    const path = keptPlanPath(this.configDir, hash);
    if (!existsSync(path)) writeFileAtomic(path, json);
  }

  async readPlan(hash: string): Promise<string | undefined> {
    const path = keptPlanPath(this.configDir, hash);
    return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  }

  async importState(data: StateData, auditLines: string[]): Promise<void> {
    if (readStateFile(this.location) || readAuditLines(this.configDir).length)
      throw new UserError(
        `${this.location} already holds a state or an audit journal; it is not overwritten`,
        'move the .h2k directory aside first, if it is no longer needed',
      );
    writeAuditLines(this.configDir, auditLines);
    this.db.data = data;
    await this.db.write();
  }

  async close(): Promise<void> {}
}
