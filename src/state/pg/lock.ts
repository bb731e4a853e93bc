// The pg backend's state lock, as Terraform's pg backend has it: a session-level advisory lock on a
// client of its own, held for as long as the lock is (Postgres frees it when the holder's session
// ends, however it ends), plus a row naming the holder for messages. A row without a live advisory
// lock behind it is a holder that died: reported with its ID for force-unlock, never taken over.
import type pg from 'pg';
import type { LockInfo } from '../../model/state.js';
import { UserError } from '../../util/errors.js';
import { type HeldLock, newLockInfo } from '../backend.js';
import { type PgConnection, explain, isConnectionLoss } from './connection.js';
import { STATE_NAME, ident } from './tables.js';

export function lockKey(schema: string): string {
  return `h2k-state:${schema}`;
}

export async function readLockRow(conn: PgConnection, schema: string): Promise<LockInfo | undefined> {
  const r = await conn.run((c) => c.query(`SELECT info FROM ${ident(schema)}.lock WHERE name = $1`, [STATE_NAME]));
  return r.rows[0]?.info as LockInfo | undefined;
}

const where = (conn: PgConnection, schema: string) => `${conn.where} (schema ${schema})`;

function holderText(h: LockInfo): string {
  return `${h.operation} by ${h.who}@${h.host} (pid ${h.pid}, since ${h.created}, lock ID ${h.id})`;
}

export class PgStateLock implements HeldLock {
  private released = false;

  private constructor(
    private readonly conn: PgConnection,
    private readonly schema: string,
    private client: pg.Client | undefined,
    readonly info: LockInfo,
  ) {}

  static async acquire(conn: PgConnection, schema: string, operation: string, timeoutMs = 0): Promise<PgStateLock> {
    const info = newLockInfo(operation);
    const deadline = Date.now() + timeoutMs;
    const client = await PgStateLock.connect(conn);
    try {
      while (true) {
        const got = await tryAdvisory(client, schema);
        const holder = await readLockRow(conn, schema);
        if (got) {
          if (holder) {
            await unlockAdvisory(client, schema);
            throw new UserError(
              `the state in ${where(conn, schema)} is locked by ${holderText(holder)}, whose session has ended`,
              `if no apply is running, remove the stale lock: h2k force-unlock ${holder.id}`,
            );
          }
          await conn.run((c) =>
            c.query(`INSERT INTO ${ident(schema)}.lock (name, info) VALUES ($1, $2)`, [STATE_NAME, info]),
          );
          return new PgStateLock(conn, schema, client, info);
        }
        if (Date.now() >= deadline)
          throw new UserError(
            `the state in ${where(conn, schema)} is locked by ${holder ? holderText(holder) : 'another process'}`,
            'wait for it to finish, or retry with -lock-timeout=5m',
          );
        await new Promise((r) => setTimeout(r, 250));
      }
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
  }

  private static async connect(conn: PgConnection): Promise<pg.Client> {
    const client = conn.client();
    try {
      await client.connect();
    } catch (err) {
      throw explain(err, conn.where);
    }
    return client;
  }

  /** After a lost connection (a Postgres restart), takes the advisory lock again on a new session; the
   *  row still names this holder, so nobody took the lock meanwhile unless it was force-unlocked. */
  async ensure(): Promise<void> {
    if (this.released) return;
    if (this.client) {
      try {
        await this.client.query('SELECT 1');
        return;
      } catch (err) {
        if (!isConnectionLoss(err)) throw explain(err, this.conn.where);
        await this.client.end().catch(() => undefined);
        this.client = undefined;
      }
    }
    const holder = await readLockRow(this.conn, this.schema);
    if (holder?.id !== this.info.id)
      throw new UserError(
        `the state lock was taken from this ${this.info.operation} while the connection to ${this.conn.where} was lost`,
        'someone ran h2k force-unlock; check what else is applying before running again',
      );
    const client = await PgStateLock.connect(this.conn);
    if (!(await tryAdvisory(client, this.schema))) {
      await client.end().catch(() => undefined);
      throw new UserError(
        `the state lock in ${this.conn.where} is held by another session after the connection was lost`,
        'check what else is applying before running again',
      );
    }
    this.client = client;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.conn
      .run((c) =>
        c.query(`DELETE FROM ${ident(this.schema)}.lock WHERE name = $1 AND info->>'id' = $2`, [
          STATE_NAME,
          this.info.id,
        ]),
      )
      .catch(() => undefined);
    // Ending the session frees the advisory lock.
    await this.client?.end().catch(() => undefined);
  }
}

async function tryAdvisory(client: pg.Client, schema: string): Promise<boolean> {
  const r = await client.query('SELECT pg_try_advisory_lock(hashtext($1)) AS got', [lockKey(schema)]);
  return r.rows[0].got === true;
}

async function unlockAdvisory(client: pg.Client, schema: string): Promise<void> {
  await client.query('SELECT pg_advisory_unlock(hashtext($1))', [lockKey(schema)]);
}
