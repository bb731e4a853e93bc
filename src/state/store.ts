// The state in memory, over a backend: every change is one commit, with its audit record.
import { randomUUID } from 'node:crypto';
import { UserError } from '../util/errors.js';
import { sha256 } from '../util/hash.js';
import { type AuditEntry, STATE_VERSION, type StateData } from '../model/state.js';
import type { Plan } from '../model/plan.js';
import type { StateBackend } from './backend.js';

function checkVersion(data: StateData, backend: StateBackend): StateData {
  if (data.version !== STATE_VERSION)
    throw new UserError(
      `the state in ${backend.location} has version ${data.version}; this h2k reads version ${STATE_VERSION}`,
      data.version > STATE_VERSION
        ? 'a newer h2k wrote it: run that version (this one would lose what it added)'
        : 'an older h2k wrote it: run that version, or `h2k state migrate` with it to a backend this one reads',
    );
  return data;
}

/** The lineage a state gets at its first apply of a plan of this configuration: derived, not drawn,
 *  so that every plan made before that apply already knows it (derived MACs are seeded with it). */
function bornLineage(configHash: string): string {
  const h = sha256(`lineage:${configHash}`);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export class StateStore {
  private born: string | undefined;

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

  /** The state's lineage, or the one the first apply of a plan of `configHash` gives it. */
  lineageFor(configHash: string): string {
    return this.planLineage ?? bornLineage(configHash);
  }

  /** Before the first apply of a plan: the state is born with the lineage its plan was made with. */
  bear(configHash: string): void {
    if (this.planLineage === null) this.born = bornLineage(configHash);
  }

  /** Applies a change to the newest stored state (another host may have committed since this one
   *  read it) and persists it with its audit record when given; the serial moves only when the VM
   *  records changed. A change that cannot be stored leaves this state as it was. */
  async update(change: (d: StateData) => void, audit?: AuditEntry): Promise<void> {
    const initial = this.doc;
    this.doc = await this.backend.commit((current) => {
      const doc = structuredClone(current ? checkVersion(current, this.backend) : initial);
      const before = JSON.stringify(doc.vms);
      if (doc.serial === 0 && this.born) doc.lineage = this.born;
      change(doc);
      if (JSON.stringify(doc.vms) !== before) doc.serial++;
      return doc;
    }, audit);
  }

  /** A plan an apply ran, as kept beside the state (by its hash); undefined when it is not kept. */
  async keptPlan(hash: string): Promise<Plan | undefined> {
    const json = await this.backend.readPlan(hash);
    return json === undefined ? undefined : (JSON.parse(json) as Plan);
  }

  /** Appends an audit record that goes with no state change (the head is still remembered). */
  async audit(entry: AuditEntry): Promise<void> {
    await this.update(() => undefined, entry);
  }
}
