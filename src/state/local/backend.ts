// The default state backend: <config>/.h2k/state.json, state.lock and audit.jsonl.
import type { AuditEntry, LockInfo, StateData } from '../../model/state.js';
import { UserError } from '../../util/errors.js';
import type { HeldLock, StateBackend } from '../backend.js';
import { appendAudit, verifyAudit } from './audit.js';
import { StateLock, readLock, removeLock } from './lock.js';
import { readStateFile, statePath, writeStateFile } from './state-file.js';

export class LocalBackend implements StateBackend {
  readonly location: string;

  constructor(private readonly configDir: string) {
    this.location = statePath(configDir);
  }

  async read(): Promise<StateData | undefined> {
    return readStateFile(this.location);
  }

  async write(data: StateData): Promise<void> {
    writeStateFile(this.location, data);
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

  async appendAudit(entry: AuditEntry): Promise<{ head: string; undo(): Promise<void> }> {
    const { head, undo } = appendAudit(this.configDir, entry);
    return { head, undo: async () => undo() };
  }

  async verifyAudit(head?: string) {
    return verifyAudit(this.configDir, head);
  }
}
