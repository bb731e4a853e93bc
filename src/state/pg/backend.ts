// The pg state backend: state, lock and audit journal in Postgres tables (tables.ts), so hosts of a
// fleet share them. Every commit runs in one transaction under a transaction-scoped advisory lock:
// the state read, its change, the audit record and the writes are one atomic step, whichever host
// makes it.
import type pg from 'pg';
import type { Stage } from '../../model/plan.js';
import type { AuditEntry, LockInfo, StageResult, StateData } from '../../model/state.js';
import type { BackendConfig } from '../../schema/config.js';
import { UserError } from '../../util/errors.js';
import { nextAuditLine, verifyAuditLines } from '../audit-chain.js';
import type { HeldLock, StateBackend, StateChange } from '../backend.js';
import { PgConnection } from './connection.js';
import { PgStateLock, readLockRow } from './lock.js';
import { STATE_NAME, ensureTables, ident } from './tables.js';

type Db = pg.PoolClient;

export class PgBackend implements StateBackend {
  readonly location: string;
  readonly conn: PgConnection;
  private ready?: Promise<void>;

  constructor(
    readonly config: BackendConfig,
    /** Told once when the schema is created. */
    private readonly notice: (message: string) => void = () => undefined,
  ) {
    this.conn = new PgConnection(config);
    this.location = `${this.conn.where} (schema ${config.schema_name})`;
  }

  private get s(): string {
    return ident(this.config.schema_name);
  }

  /** The tables, created on first use. */
  async ensure(): Promise<void> {
    this.ready ??= this.conn
      .run((c) => ensureTables(c, this.config.schema_name))
      .then((created) => {
        if (created) this.notice(`created schema ${this.config.schema_name} in ${this.conn.where} for the h2k state`);
      });
    return this.ready;
  }

  async read(): Promise<StateData | undefined> {
    await this.ensure();
    return this.conn.run((c) => this.readIn(c));
  }

  private async readIn(c: Db): Promise<StateData | undefined> {
    const head = await c.query(`SELECT * FROM ${this.s}.state WHERE name = $1`, [STATE_NAME]);
    const row = head.rows[0];
    if (!row) return undefined;
    const vms: StateData['vms'] = {};
    for (const vm of row.vms as string[]) vms[vm] = { stages: {} };
    const stages = await c.query(`SELECT vm, stage, result FROM ${this.s}.vm_stages WHERE name = $1 ORDER BY vm`, [
      STATE_NAME,
    ]);
    for (const r of stages.rows) (vms[r.vm] ??= { stages: {} }).stages[r.stage as Stage] = r.result as StageResult;
    return {
      version: row.version,
      serial: Number(row.serial),
      lineage: row.lineage,
      vms,
      ...(row.audit_head ? { audit_head: row.audit_head } : {}),
    };
  }

  async commit(next: StateChange, audit?: AuditEntry): Promise<StateData> {
    await this.ensure();
    return this.conn.transaction(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`h2k-commit:${this.config.schema_name}`]);
      const current = await this.readIn(c);
      const doc = next(current);
      if (audit) {
        const last = await c.query(`SELECT seq, line FROM ${this.s}.audit WHERE name = $1 ORDER BY seq DESC LIMIT 1`, [
          STATE_NAME,
        ]);
        const seq = last.rows[0] ? Number(last.rows[0].seq) + 1 : 1;
        const { line, head } = nextAuditLine(audit, seq, last.rows[0]?.line);
        await c.query(`INSERT INTO ${this.s}.audit (name, seq, line) VALUES ($1, $2, $3)`, [STATE_NAME, seq, line]);
        doc.audit_head = head;
      } else if (doc.serial === (current?.serial ?? 0)) return doc;
      await this.writeIn(c, current, doc);
      return doc;
    });
  }

  /** Stores doc, touching only the stage rows that differ from `current`. */
  private async writeIn(c: Db, current: StateData | undefined, doc: StateData): Promise<void> {
    await c.query(
      `INSERT INTO ${this.s}.state (name, version, serial, lineage, audit_head, vms, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, now())
       ON CONFLICT (name) DO UPDATE SET version = $2, serial = $3, lineage = $4, audit_head = $5, vms = $6,
         updated_at = now()`,
      [STATE_NAME, doc.version, doc.serial, doc.lineage, doc.audit_head ?? null, Object.keys(doc.vms).sort()],
    );
    const rows = (d: StateData | undefined) =>
      new Map(
        Object.entries(d?.vms ?? {}).flatMap(([vm, v]) =>
          Object.entries(v.stages).map(([stage, r]) => [`${vm}\n${stage}`, r as StageResult] as const),
        ),
      );
    const was = rows(current);
    const now = rows(doc);
    for (const key of was.keys())
      if (!now.has(key)) {
        const [vm, stage] = key.split('\n');
        await c.query(`DELETE FROM ${this.s}.vm_stages WHERE name = $1 AND vm = $2 AND stage = $3`, [
          STATE_NAME,
          vm,
          stage,
        ]);
      }
    for (const [key, result] of now) {
      if (was.has(key) && JSON.stringify(was.get(key)) === JSON.stringify(result)) continue;
      const [vm, stage] = key.split('\n');
      await c.query(
        `INSERT INTO ${this.s}.vm_stages (name, vm, stage, status, host, result) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (name, vm, stage) DO UPDATE SET status = $4, host = $5, result = $6`,
        [STATE_NAME, vm, stage, result.status, result.host ?? null, result],
      );
    }
  }

  async lock(operation: string, timeoutMs = 0): Promise<HeldLock> {
    await this.ensure();
    return PgStateLock.acquire(this.conn, this.config.schema_name, operation, timeoutMs);
  }

  async readLock(): Promise<LockInfo | undefined> {
    await this.ensure();
    return readLockRow(this.conn, this.config.schema_name);
  }

  async forceUnlock(id: string): Promise<LockInfo> {
    await this.ensure();
    const lock = await this.readLock();
    if (!lock) throw new UserError(`there is no lock on the state in ${this.location}`, 'nothing to do');
    if (lock.id !== id)
      throw new UserError(`the lock has ID ${lock.id}, not ${id}`, 'copy the ID from the lock error message');
    await this.conn.run((c) =>
      c.query(`DELETE FROM ${this.s}.lock WHERE name = $1 AND info->>'id' = $2`, [STATE_NAME, id]),
    );
    return lock;
  }

  async auditLines(): Promise<string[]> {
    await this.ensure();
    const r = await this.conn.run((c) =>
      c.query(`SELECT line FROM ${this.s}.audit WHERE name = $1 ORDER BY seq`, [STATE_NAME]),
    );
    return r.rows.map((x) => x.line as string);
  }

  async verifyAudit(head?: string) {
    return verifyAuditLines(await this.auditLines(), head);
  }

  async keepPlan(hash: string, json: string): Promise<void> {
    await this.ensure();
    await this.conn.run((c) =>
      c.query(`INSERT INTO ${this.s}.plans (name, hash, plan) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [
        STATE_NAME,
        hash,
        json,
      ]),
    );
  }

  async readPlan(hash: string): Promise<string | undefined> {
    await this.ensure();
    const r = await this.conn.run((c) =>
      c.query(`SELECT plan FROM ${this.s}.plans WHERE name = $1 AND hash = $2`, [STATE_NAME, hash]),
    );
    return r.rows[0]?.plan as string | undefined;
  }

  async importState(data: StateData, auditLines: string[]): Promise<void> {
    await this.ensure();
    await this.conn.transaction(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`h2k-commit:${this.config.schema_name}`]);
      const had = await c.query(
        `SELECT (SELECT count(*) FROM ${this.s}.state WHERE name = $1) + (SELECT count(*) FROM ${this.s}.audit
         WHERE name = $1) AS n`,
        [STATE_NAME],
      );
      if (Number(had.rows[0].n) > 0)
        throw new UserError(
          `${this.location} already holds a state or an audit journal; it is not overwritten`,
          `drop the schema first if it is no longer needed (DROP SCHEMA ${this.config.schema_name} CASCADE)`,
        );
      for (const [i, line] of auditLines.entries())
        await c.query(`INSERT INTO ${this.s}.audit (name, seq, line) VALUES ($1, $2, $3)`, [STATE_NAME, i + 1, line]);
      await this.writeIn(c, undefined, data);
    });
  }

  async close(): Promise<void> {
    await this.conn.end();
  }
}
