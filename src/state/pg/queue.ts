// A fleet's work queue in the pg backend: pg-boss (10.x; SKIP LOCKED fetches, retries, expiry) in
// the schema `<schema_name>_jobs`, one job per VM; progress as NOTIFY on one channel; and claims —
// session advisory locks, freed by Postgres when the holder's session ends, however it ends — so a
// VM is worked on by one worker at a time and a source has at most N VMs in flight.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type PgBoss from 'pg-boss';
import { explain, isConnectionLoss } from './connection.js';
import type { PgBackend } from './backend.js';
import { ident } from './tables.js';
import { lazyRequire } from '../../util/lazy-require.js';

const pgBoss = lazyRequire<typeof PgBoss>('pg-boss');

export const VM_QUEUE = 'h2k-vm';

export type JobState = 'created' | 'retry' | 'active' | 'completed' | 'cancelled' | 'failed';

export interface Claim {
  release(): Promise<void>;
}

export class FleetQueue {
  private readonly boss: PgBoss;
  private readonly channel: string;
  private readonly jobsSchema: string;
  private listener?: pg.Client;
  private stopped = false;
  private loops: Promise<void>[] = [];

  constructor(
    readonly backend: PgBackend,
    opts: { onError?: (err: Error) => void } = {},
  ) {
    const schema = `${backend.config.schema_name}_jobs`;
    this.jobsSchema = schema;
    this.channel = `${backend.config.schema_name}_progress`;
    this.boss = new (pgBoss())({
      connectionString: backend.config.conn_str.reveal() as string,
      schema,
      application_name: 'h2k',
      max: 4,
      // Expired jobs (a worker that died) go back to the queue this often at the latest.
      maintenanceIntervalSeconds: 5,
      monitorStateIntervalSeconds: 60,
      schedule: false,
    });
    // Connection errors while Postgres restarts: pg-boss retries its polls on its own.
    this.boss.on('error', (err) => opts.onError?.(err));
  }

  async start(): Promise<void> {
    await this.backend.ensure();
    try {
      await this.boss.start();
      if (!(await this.boss.getQueue(VM_QUEUE))) await this.boss.createQueue(VM_QUEUE, { name: VM_QUEUE });
    } catch (err) {
      throw explain(err, this.backend.conn.where);
    }
  }

  async send(data: object, opts: { expireInSeconds: number; retryLimit: number }): Promise<string> {
    const id = randomUUID();
    await this.boss.send(VM_QUEUE, data, { id, ...opts, retryDelay: 1 });
    return id;
  }

  async job(id: string): Promise<{ state: JobState; output: unknown; retryCount: number } | undefined> {
    const j = await this.boss.getJobById(VM_QUEUE, id);
    return j ? { state: j.state, output: j.output, retryCount: j.retryCount } : undefined;
  }

  /** Tells the queue the job's worker is alive: its expiry counts from now (pg-boss 10 counts it from
   *  the job's start, and a VM's stages may take longer than any expiry that notices a dead worker
   *  soon). */
  async heartbeat(id: string): Promise<void> {
    await this.backend.conn
      .run((c) =>
        c.query(
          `UPDATE ${ident(this.jobsSchema)}.job SET started_on = now() ` +
            `WHERE name = $1 AND id = $2 AND state = 'active'`,
          [VM_QUEUE, id],
        ),
      )
      .catch(() => undefined);
  }

  async cancel(ids: string[]): Promise<void> {
    if (ids.length) await this.boss.cancel(VM_QUEUE, ids).catch(() => undefined);
  }

  /** `concurrency` loops, each taking one job at a time until stop(); a handler's return value is
   *  the job's output, a throw fails the job (retried until its retry limit). The loops fetch and
   *  complete jobs themselves: pg-boss's own work() ends a handler at the job's expiry, which here
   *  counts from the last heartbeat, not from the start. */
  async work(concurrency: number, handler: (job: { id: string; data: unknown }) => Promise<object>): Promise<void> {
    const loop = async () => {
      while (!this.stopped) {
        const [job] = await this.boss.fetch(VM_QUEUE, { batchSize: 1 }).catch(() => []);
        if (!job) {
          await new Promise((r) => setTimeout(r, 1000));
          continue;
        }
        try {
          const output = await handler({ id: job.id, data: job.data });
          await this.settle(() => this.boss.complete(VM_QUEUE, job.id, output));
        } catch (err) {
          await this.settle(() => this.boss.fail(VM_QUEUE, job.id, { message: (err as Error).message }));
        }
      }
    };
    this.loops = Array.from({ length: concurrency }, loop);
  }

  /** A job's end, recorded even across a Postgres restart (else it would expire and run again). */
  private async settle(fn: () => Promise<unknown>): Promise<void> {
    for (let i = 0; i < 30 && !this.stopped; i++) {
      try {
        await fn();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  /** Sends one progress message (best effort: a lost message costs a progress line, never a result). */
  async notify(payload: object): Promise<void> {
    await this.backend.conn
      .run((c) => c.query('SELECT pg_notify($1, $2)', [this.channel, JSON.stringify(payload)]))
      .catch(() => undefined);
  }

  /** Receives progress messages, listening again after a lost connection: once a second until the
   *  server answers (a restart takes longer than one try). */
  async listen(onMessage: (payload: unknown) => void): Promise<void> {
    let retrying = false;
    const again = () => {
      if (retrying || this.stopped) return;
      retrying = true;
      setTimeout(() => {
        retrying = false;
        void connect().catch(again);
      }, 1000);
    };
    const connect = async (): Promise<void> => {
      if (this.stopped) return;
      const c = this.backend.conn.client();
      c.on('notification', (n) => {
        try {
          onMessage(JSON.parse(n.payload ?? 'null'));
        } catch {
          // not ours
        }
      });
      c.on('error', () => {
        if (this.listener === c) this.listener = undefined;
        void c.end().catch(() => undefined);
        again();
      });
      try {
        await c.connect();
        await c.query(`LISTEN ${this.channel}`);
      } catch (err) {
        void c.end().catch(() => undefined);
        throw err;
      }
      this.listener = c;
    };
    await connect();
  }

  /** Holds `key` for as long as the claim is not released (or this process lives); waits while
   *  another session holds it, calling onWait once. */
  async claim(key: string, onWait?: () => void): Promise<Claim> {
    return this.claimOne([key], onWait);
  }

  /** One of `limit` slots of `key`, waiting for a free one. */
  async slot(key: string, limit: number, onWait?: () => void): Promise<Claim> {
    return this.claimOne(
      Array.from({ length: limit }, (_, i) => `${key}#${i}`),
      onWait,
    );
  }

  private async claimOne(keys: string[], onWait?: () => void): Promise<Claim> {
    const scoped = keys.map((k) => `h2k-claim:${this.backend.config.schema_name}:${k}`);
    let told = false;
    for (let wait = 500; ; wait = Math.min(wait * 2, 5000)) {
      const c = this.backend.conn.client();
      try {
        await c.connect();
        for (const key of scoped) {
          const r = await c.query('SELECT pg_try_advisory_lock(hashtext($1)) AS got', [key]);
          if (r.rows[0].got) return { release: () => c.end().catch(() => undefined) };
        }
        await c.end();
      } catch (err) {
        await c.end().catch(() => undefined);
        if (!isConnectionLoss(err)) throw explain(err, this.backend.conn.where);
      }
      if (!told) onWait?.();
      told = true;
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // Idle loops notice within a second; a loop in a handler is not waited for (a worker stopping on
    // a signal leaves its job to expire and go to another worker).
    await Promise.race([Promise.all(this.loops), new Promise((r) => setTimeout(r, 1500))]);
    await this.listener?.end().catch(() => undefined);
    await this.boss.stop({ graceful: false, wait: true, timeout: 2000 }).catch(() => undefined);
  }
}
