// The state in memory, over a backend: every change is one write, with its audit record.
import { randomUUID } from 'node:crypto';
import { type AuditEntry, STATE_VERSION, type StateData } from '../model/state.js';
import type { StateBackend } from './backend.js';

export class StateStore {
  private constructor(
    readonly backend: StateBackend,
    private doc: StateData,
  ) {}

  static async open(backend: StateBackend): Promise<StateStore> {
    const data = (await backend.read()) ?? { version: STATE_VERSION, serial: 0, lineage: randomUUID(), vms: {} };
    if (data.version !== STATE_VERSION)
      throw new Error(`the state in ${backend.location} has version ${data.version}; this h2k reads ${STATE_VERSION}`);
    return new StateStore(backend, data);
  }

  get data(): StateData {
    return this.doc;
  }

  /** The lineage a plan records: none before the first write. */
  get planLineage(): string | null {
    return this.doc.serial === 0 ? null : this.doc.lineage;
  }

  /** Applies a change and persists it in one write, with its audit record when given; the serial
   *  moves only when the VM records changed. */
  async update(change: (d: StateData) => void, audit?: AuditEntry): Promise<void> {
    const was = structuredClone(this.doc);
    change(this.doc);
    const changed = JSON.stringify(this.doc.vms) !== JSON.stringify(was.vms);
    if (changed) this.doc.serial++;
    // The journal and the state move together: a state that cannot be written (a full disk) takes
    // its audit record back, so `audit verify` never sees a record the state does not name.
    const appended = audit ? await this.backend.appendAudit(audit) : undefined;
    if (appended) this.doc.audit_head = appended.head;
    try {
      if (changed || audit) await this.backend.write(this.doc);
    } catch (err) {
      await appended?.undo();
      this.doc = was;
      throw err;
    }
  }

  /** Appends an audit record that goes with no state change (the head is still remembered). */
  async audit(entry: AuditEntry): Promise<void> {
    await this.update(() => undefined, entry);
  }
}
