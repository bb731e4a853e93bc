// state migrate: copy a state and its audit journal from one backend to another, both locked, and
// prove the copy: the same state (canonical JSON) and the same journal lines, whose chain verifies
// against the copied head. The origin is left as it was.
import type { StateBackend } from '../state/backend.js';
import { UserError } from '../util/errors.js';
import { canonicalJson } from '../util/hash.js';

export interface Migrated {
  serial: number;
  vms: number;
  records: number;
}

export async function migrateState(from: StateBackend, to: StateBackend, lockTimeoutMs = 0): Promise<Migrated> {
  const fromLock = await from.lock('state migrate', lockTimeoutMs);
  try {
    const toLock = await to.lock('state migrate', lockTimeoutMs);
    try {
      const data = await from.read();
      if (!data) throw new UserError(`there is no state in ${from.location} to migrate`, 'nothing to do');
      const lines = await from.auditLines();
      const origin = await from.verifyAudit(data.audit_head);
      if (origin.problems.length)
        throw new UserError(
          `the audit journal in ${from.location} does not verify (line ${origin.problems[0].line}: ` +
            `${origin.problems[0].problem}); it is not copied`,
          'h2k audit verify shows every problem',
        );
      await to.importState(data, lines);
      // The plans the journal names go along (a plan that was never kept is not made up).
      const hashes = new Set(origin.records.flatMap((r) => (r.plan_hash ? [r.plan_hash] : [])));
      for (const hash of hashes) {
        const plan = await from.readPlan(hash);
        if (plan !== undefined) await to.keepPlan(hash, plan);
      }
      const copy = await to.read();
      const copied = await to.auditLines();
      const check = await to.verifyAudit(copy?.audit_head);
      if (
        canonicalJson(copy) !== canonicalJson(data) ||
        copied.join('\n') !== lines.join('\n') ||
        check.problems.length
      )
        throw new UserError(
          `the copy in ${to.location} differs from ${from.location} once written; the origin is unchanged`,
          'another process may have written the destination meanwhile: check it, empty it, and migrate again',
        );
      return { serial: data.serial, vms: Object.keys(data.vms).length, records: lines.length };
    } finally {
      await toLock.release();
    }
  } finally {
    await fromLock.release();
  }
}
