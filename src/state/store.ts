// The state in memory, over a backend: every change is one commit, with its audit record.
import { randomUUID } from 'node:crypto';
import { type AuditEntry, STATE_VERSION, type StateData } from '../model/state.js';
import type { StateBackend } from './backend.js';

function checkVersion(data: StateData, backend: StateBackend): StateData {
  if (data.version !== STATE_VERSION)
    throw new Error(`the state in ${backend.location} has version ${data.version}; this h2k reads ${STATE_VERSION}`);
  return data;
}

export class StateStore {
  private constructor(
    readonly backend: StateBackend,
    private doc: StateData,
  ) {}

  static async open(backend: StateBackend): Promise<StateStore> {
    const data = (await backend.read()) ?? { version: STATE_VERSION, serial: 0, lineage: randomUUID(), vms: {} };
    return new StateStore(backend, checkVersion(data, backend));
  }

  get data(): StateData {
    return this.doc;
  }

  /** The lineage a plan records: none before the first write. */
  get planLineage(): string | null {
    return this.doc.serial === 0 ? null : this.doc.lineage;
  }

  /** Applies a change to the newest stored state (another host may have committed since this one
   *  read it) and persists it with its audit record when given; the serial moves only when the VM
   *  records changed. A change that cannot be stored leaves this state as it was. */
  async update(change: (d: StateData) => void, audit?: AuditEntry): Promise<void> {
    const initial = this.doc;
    this.doc = await this.backend.commit((current) => {
      const doc = structuredClone(current ? checkVersion(current, this.backend) : initial);
      const before = JSON.stringify(doc.vms);
      change(doc);
      if (JSON.stringify(doc.vms) !== before) doc.serial++;
      return doc;
    }, audit);
  }

  /** Appends an audit record that goes with no state change (the head is still remembered). */
  async audit(entry: AuditEntry): Promise<void> {
    await this.update(() => undefined, entry);
  }
}
