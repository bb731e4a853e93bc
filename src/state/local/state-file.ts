// The state file: what apply has done, per VM per stage. lowdb holds it in memory; our adapter
// writes it atomically (temp file, fsync, rename, fsync of the directory) and keeps the previous
// version as .backup, so a crash mid-write leaves the old state or the new one, never half.
import { randomUUID } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { Low, type Adapter } from 'lowdb';
import type { Stage } from '../../model/plan.js';
import { type AuditEntry, appendAudit } from './audit.js';
import { stateDir } from './paths.js';

export { stateDir };

export const STATE_VERSION = 1;

export interface OutputRecord {
  path: string;
  size: number;
  sha256: string;
}

export interface StageResult {
  status: 'done' | 'failed';
  input_hash: string;
  plan_hash?: string;
  outputs: OutputRecord[];
  started_at: string;
  finished_at: string;
  error?: string;
  details?: Record<string, unknown>;
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

export function statePath(configDir: string): string {
  return join(stateDir(configDir), 'state.json');
}

export function writeFileAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${randomUUID().slice(0, 8)}`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dfd = openSync(dirname(path), 'r');
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}

class AtomicJsonAdapter implements Adapter<StateData> {
  constructor(private readonly path: string) {}

  async read(): Promise<StateData | null> {
    if (!existsSync(this.path)) return null;
    const text = readFileSync(this.path, 'utf8');
    try {
      return JSON.parse(text) as StateData;
    } catch {
      throw new Error(`state file ${this.path} is not valid JSON; the previous version is in ${this.path}.backup`);
    }
  }

  async write(data: StateData): Promise<void> {
    if (existsSync(this.path)) copyFileSync(this.path, `${this.path}.backup`);
    writeFileAtomic(this.path, `${JSON.stringify(data, null, 2)}\n`);
  }
}

export class StateStore {
  private constructor(
    private readonly db: Low<StateData>,
    readonly path: string,
    private readonly configDir: string,
  ) {}

  static async open(configDir: string): Promise<StateStore> {
    const path = statePath(configDir);
    const db = new Low<StateData>(new AtomicJsonAdapter(path), {
      version: STATE_VERSION,
      serial: 0,
      lineage: randomUUID(),
      vms: {},
    });
    await db.read();
    if (db.data.version !== STATE_VERSION)
      throw new Error(`state file ${path} has version ${db.data.version}; this h2k reads version ${STATE_VERSION}`);
    return new StateStore(db, path, configDir);
  }

  get data(): StateData {
    return this.db.data;
  }

  /** Applies a change and persists it in one write, with its audit record when given; the serial
   *  moves only when the VM records changed. */
  async update(change: (d: StateData) => void, audit?: AuditEntry): Promise<void> {
    const before = JSON.stringify(this.db.data.vms);
    change(this.db.data);
    const changed = JSON.stringify(this.db.data.vms) !== before;
    if (changed) this.db.data.serial++;
    if (audit) this.db.data.audit_head = appendAudit(this.configDir, audit);
    if (changed || audit) await this.db.write();
  }

  /** Appends an audit record that goes with no state change (the head is still remembered). */
  async audit(entry: AuditEntry): Promise<void> {
    await this.update(() => undefined, entry);
  }
}
