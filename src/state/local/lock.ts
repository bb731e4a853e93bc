// An exclusive lock on the state while a command may change it. Created with O_EXCL, so two
// processes cannot both hold it; it records who holds it. A lock left by a dead process on this
// host is reported as stale, never taken over silently: `h2k force-unlock ID` removes it.
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { LockInfo } from '../../model/state.js';
import { UserError } from '../../util/errors.js';
import { processAlive } from '../../util/processes.js';
import { type HeldLock, newLockInfo } from '../backend.js';
import { stateDir } from './paths.js';

export function lockPath(configDir: string): string {
  return join(stateDir(configDir), 'state.lock');
}

export function readLock(configDir: string): LockInfo | undefined {
  try {
    return JSON.parse(readFileSync(lockPath(configDir), 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
}

export function removeLock(configDir: string): void {
  unlinkSync(lockPath(configDir));
}

export class StateLock implements HeldLock {
  private constructor(
    private readonly path: string,
    readonly info: LockInfo,
  ) {}

  static async acquire(configDir: string, operation: string, timeoutMs = 0): Promise<StateLock> {
    const path = lockPath(configDir);
    const info = newLockInfo(operation);
    mkdirSync(stateDir(configDir), { recursive: true });
    const deadline = Date.now() + timeoutMs;
    while (true) {
      try {
        const fd = openSync(path, 'wx', 0o600);
        writeSync(fd, `${JSON.stringify(info, null, 2)}\n`);
        closeSync(fd);
        return new StateLock(path, info);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = readLock(configDir);
      if (holder && holder.host === hostname() && !processAlive(holder.pid))
        throw new UserError(
          `the state is locked by ${holder.operation} (lock ID ${holder.id}), whose process ${holder.pid} on ` +
            `this host no longer runs`,
          `if no apply is running, remove the stale lock: h2k force-unlock ${holder.id}`,
        );
      if (Date.now() >= deadline) {
        const who = holder
          ? `${holder.operation} by ${holder.who}@${holder.host} (pid ${holder.pid}, since ${holder.created}, ` +
            `lock ID ${holder.id})`
          : 'another process';
        throw new UserError(`the state is locked by ${who}`, 'wait for it to finish, or retry with -lock-timeout=5m');
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async release(): Promise<void> {
    this.releaseNow();
  }

  /** Synchronous, for exit handlers. */
  releaseNow(): void {
    try {
      const current = JSON.parse(readFileSync(this.path, 'utf8')) as LockInfo;
      if (current.id === this.info.id) unlinkSync(this.path);
    } catch {
      // already gone
    }
  }
}
