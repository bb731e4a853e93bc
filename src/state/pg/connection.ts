// The connection to a pg backend: a small pool, errors said in one line with what to check, and
// commands retried across a lost connection (a Postgres restart) for a while before giving up. The
// connection string is a secret: messages name user@host:port/db only.
import type pg from 'pg';
import type { BackendConfig } from '../../schema/config.js';
import { UserError } from '../../util/errors.js';
import { lazyRequire } from '../../util/lazy-require.js';

const pgModule = lazyRequire<typeof pg>('pg');

/** postgres://user@host:port/db — the connection string without its password or parameters. */
export function redacted(connStr: string): string {
  try {
    const u = new URL(connStr);
    const user = u.username ? `${decodeURIComponent(u.username)}@` : '';
    return `postgres://${user}${u.host || 'localhost'}${u.pathname}`;
  } catch {
    return 'postgres://(unparsable connection string)';
  }
}

/** SQLSTATE codes and socket errors that mean the server went away or is not back yet. */
const TRANSIENT = new Set(['57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', 'ECONNRESET', 'EPIPE']);
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

function codeOf(err: unknown): string {
  return String((err as { code?: string })?.code ?? '');
}

export function isConnectionLoss(err: unknown): boolean {
  const code = codeOf(err);
  const msg = String((err as Error)?.message ?? '');
  return (
    TRANSIENT.has(code) ||
    UNREACHABLE.has(code) ||
    /Connection terminated|connection (is )?closed|not queryable|terminating connection/i.test(msg)
  );
}

/** One line for a failure talking to Postgres, with the hint that fits it. */
export function explain(err: unknown, where: string): UserError {
  if (err instanceof UserError) return err;
  const code = codeOf(err);
  const first = String((err as Error)?.message ?? err).split('\n')[0];
  if (code === '28P01' || code === '28000')
    return new UserError(
      `Postgres at ${where} refused the login: ${first}`,
      'check the user and password in the backend conn_str variable (or PGPASSWORD, ~/.pgpass) and pg_hba.conf',
    );
  if (code === '3D000')
    return new UserError(
      `Postgres at ${where}: ${first}`,
      'create the database (createdb NAME) or name an existing one',
    );
  if (code === '42501')
    return new UserError(
      `Postgres at ${where}: ${first}`,
      'the role needs CREATE on the database (for the schema) or USAGE and CREATE on the schema',
    );
  if (UNREACHABLE.has(code))
    return new UserError(
      `cannot reach Postgres at ${where} (${code})`,
      'is the server running and listening there? pg_isready -h HOST -p PORT tells',
    );
  if (isConnectionLoss(err))
    return new UserError(
      `lost the connection to Postgres at ${where}: ${first}`,
      'when the server is back, run the same command again: completed stages are recorded',
    );
  return new UserError(`Postgres at ${where}: ${first}`, 'see the message; --debug shows the statement');
}

const quiet = new WeakSet<pg.PoolClient>();

export class PgConnection {
  readonly pool: pg.Pool;
  readonly where: string;
  private connected = false;

  constructor(
    readonly config: BackendConfig,
    /** How long a lost connection is retried before the command fails. */
    private readonly retryMs = Number(process.env.H2K_PG_RETRY_SECONDS ?? 60) * 1000,
  ) {
    this.where = redacted(config.conn_str.reveal() as string);
    this.pool = new (pgModule().Pool)({
      connectionString: config.conn_str.reveal() as string,
      max: 4,
      connectionTimeoutMillis: 10_000,
      application_name: 'h2k',
    });
    // An idle client whose server went away: the next query reconnects or fails and says so.
    this.pool.on('error', () => undefined);
  }

  /** A fresh client of its own (the state lock holds one for as long as it is held). */
  client(): pg.Client {
    const c = new (pgModule().Client)({
      connectionString: this.config.conn_str.reveal() as string,
      application_name: 'h2k',
    });
    c.on('error', () => undefined);
    return c;
  }

  /** Runs fn with a pooled client; a lost connection is retried once the backend has been reached
   *  (at first contact an unreachable server fails at once: it is more likely wrong than restarting). */
  async run<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.retryMs;
    for (let wait = 250; ; wait = Math.min(wait * 2, 4000)) {
      let client: pg.PoolClient | undefined;
      try {
        client = await this.pool.connect();
        // A server that goes away mid-query also emits 'error' on the checked-out client: without a
        // listener that would end the process; the failed query already says what happened.
        if (!quiet.has(client)) {
          client.on('error', () => undefined);
          quiet.add(client);
        }
        const r = await fn(client);
        this.connected = true;
        client.release();
        return r;
      } catch (err) {
        client?.release(isConnectionLoss(err) ? true : undefined);
        if (!this.connected || !isConnectionLoss(err) || Date.now() + wait > deadline) throw explain(err, this.where);
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  /** fn inside BEGIN … COMMIT (rolled back when it throws), retried as a whole on a lost connection. */
  async transaction<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.run(async (c) => {
      await c.query('BEGIN');
      try {
        const r = await fn(c);
        await c.query('COMMIT');
        return r;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  async end(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}
