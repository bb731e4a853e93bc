// The pg backend's tables, in the configuration's schema (created on first use):
//   state      one row: serial, lineage, audit head, version
//   vm_stages  one row per VM per stage: its status, the host that ran it, the whole StageResult
//   audit      the journal: one row per record, its line byte for byte (the hash chain is over lines)
//   plans      the plans applies carried out, by hash (what the audit's plan_hash names)
//   lock       the holder of the state lock (the lock itself is a session advisory lock)
import type pg from 'pg';

export const STATE_NAME = 'default';

/** A quoted identifier; schema names are checked by the configuration schema, this is belt and braces. */
export function ident(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a plain SQL identifier: ${name}`);
  return `"${name}"`;
}

export function ddl(schema: string): string {
  const s = ident(schema);
  return `
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.state (
  name text PRIMARY KEY,
  version integer NOT NULL,
  serial bigint NOT NULL,
  lineage text NOT NULL,
  audit_head text,
  vms text[] NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS ${s}.vm_stages (
  name text NOT NULL,
  vm text NOT NULL,
  stage text NOT NULL,
  status text NOT NULL,
  host text,
  result jsonb NOT NULL,
  PRIMARY KEY (name, vm, stage)
);
CREATE TABLE IF NOT EXISTS ${s}.audit (
  name text NOT NULL,
  seq bigint NOT NULL,
  line text NOT NULL,
  PRIMARY KEY (name, seq)
);
CREATE TABLE IF NOT EXISTS ${s}.plans (
  name text NOT NULL,
  hash text NOT NULL,
  plan text NOT NULL,
  PRIMARY KEY (name, hash)
);
CREATE TABLE IF NOT EXISTS ${s}.lock (
  name text PRIMARY KEY,
  info jsonb NOT NULL
);`;
}

/** Creates the schema and tables when missing; returns whether the schema was new. Two hosts doing
 *  this at once are serialised by a transaction-scoped advisory lock. */
export async function ensureTables(c: pg.PoolClient, schema: string): Promise<boolean> {
  await c.query('BEGIN');
  try {
    await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`h2k-ddl:${schema}`]);
    const had = await c.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    await c.query(ddl(schema));
    await c.query('COMMIT');
    return had.rowCount === 0;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
