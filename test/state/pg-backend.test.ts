// The pg backend against a real private Postgres: state, lock and audit in tables, commits from
// several processes at once, a server restart in the middle of them, the state moved there and back,
// and the errors a user meets (wrong password, unreachable server, missing database, a password
// written in plain text). The password travels only in the environment, and is looked for in every
// table afterwards.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { REPO, h2k, tempDir, writeConfig } from '../helpers.js';
import { type PrivatePostgres, startPostgres } from '../fixtures/postgres.js';
import { verifyAuditLines } from '../../src/state/audit-chain.js';
import { readAuditLines } from '../../src/state/local/audit.js';
import { LocalBackend } from '../../src/state/local/backend.js';
import { PgBackend } from '../../src/state/pg/backend.js';
import { FleetQueue } from '../../src/state/pg/queue.js';
import { Sensitive } from '../../src/schema/values.js';
import { StateStore } from '../../src/state/store.js';
import { canonicalJson } from '../../src/util/hash.js';

const CONFIG = (schema = 'h2k') => `variable "pg_conn" {
  type      = string
  sensitive = true
}

backend "pg" {
  conn_str    = var.pg_conn
  schema_name = "${schema}"
}

policy "p" {
}
`;

let pg: PrivatePostgres;
const env = (url = pg.url) => ({ H2K_VAR_pg_conn: url });

/** A child process committing `n` stage records through the pg backend, as a worker does. */
function committer(dir: string, n: number, tag: string, pace = 0) {
  const script = join(dir, `commit-${tag}.mjs`);
  writeFileSync(
    script,
    `import { PgBackend } from ${JSON.stringify(join(REPO, 'dist/src/state/pg/backend.js'))};
import { StateStore } from ${JSON.stringify(join(REPO, 'dist/src/state/store.js'))};
import { Sensitive } from ${JSON.stringify(join(REPO, 'dist/src/schema/values.js'))};
const conn_str = new Sensitive(process.env.H2K_VAR_pg_conn);
const b = new PgBackend({ type: 'pg', conn_str, schema_name: process.argv[2] });
const s = await StateStore.open(b);
for (let i = 0; i < ${n}; i++) {
  const r = { status: 'done', input_hash: 'h' + i, outputs: [], started_at: '', finished_at: '', host: '${tag}' };
  await s.update((d) => { (d.vms['vm.${tag}' + i] ??= { stages: {} }).stages.fix = r; },
    { event: 'stage-done', vm: 'vm.${tag}' + i, stage: 'fix' });
  if (i === 4) console.log('going');
  await new Promise((r) => setTimeout(r, ${pace}));
}
await b.close();`,
  );
  return script;
}

function run(script: string, schema: string) {
  const child = spawn(process.execPath, [script, schema], {
    env: { ...process.env, ...env() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const started = new Promise<void>((r) => child.stdout.once('data', () => r()));
  const done = new Promise<number>((r) => child.once('exit', (c) => r(c ?? -1)));
  return { started, done, err: () => err };
}

describe('pg state backend', () => {
  before(async () => {
    pg = await startPostgres();
  });
  after(async () => {
    await pg?.stop();
  });

  it('creates its schema on first use and says so; the state starts empty and verifies', async () => {
    const dir = writeConfig({ 'main.h2k.hcl': CONFIG('first') });
    const r = await h2k(['state', 'list', dir], { env: env() });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stderr, `created schema first in ${pg.urlWithoutPassword} for the h2k state\n`);
    const again = await h2k(['audit', 'verify', dir], { env: env() });
    assert.equal(again.stderr, '');
    assert.equal(again.stdout, 'ok: 0 audit record(s), chain intact.\n');
    const tables = await pg.sql(`SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables
      WHERE table_schema = 'first'`);
    assert.equal(tables, 'audit,lock,plans,state,vm_stages');
  });

  it('commits from two processes at once all land, serialised, with one unbroken audit chain', async () => {
    const dir = writeConfig({ 'main.h2k.hcl': CONFIG('together') });
    const [a, b] = [run(committer(dir, 40, 'a'), 'together'), run(committer(dir, 40, 'b'), 'together')];
    assert.deepEqual(await Promise.all([a.done, b.done]), [0, 0], a.err() + b.err());
    assert.equal(await pg.sql('SELECT serial FROM together.state'), '80');
    assert.equal(await pg.sql("SELECT count(*) FROM together.vm_stages WHERE stage = 'fix' AND status = 'done'"), '80');
    assert.equal(await pg.sql('SELECT count(DISTINCT host) FROM together.vm_stages'), '2');
    const v = await h2k(['audit', 'verify', dir], { env: env() });
    assert.equal(v.stdout, 'ok: 80 audit record(s), chain intact.\n', v.stderr);
    // A record changed in the table breaks the chain, as an edited line of the local journal does.
    await pg.sql(`UPDATE together.audit SET line = replace(line, 'vm.a3', 'vm.aX') WHERE line LIKE '%"vm.a3"%'`);
    const t = await h2k(['audit', 'verify', dir], { env: env() });
    assert.equal(t.exitCode, 1);
    assert.match(t.stderr, /tampered: line \d+: chain broken/);
  });

  it('a Postgres restart in the middle of the commits is ridden out: every commit lands once', async () => {
    const dir = writeConfig({ 'main.h2k.hcl': CONFIG('restart') });
    const c = run(committer(dir, 60, 'r', 50), 'restart');
    await c.started;
    await pg.restart();
    assert.equal(await c.done, 0, c.err());
    assert.equal(await pg.sql('SELECT serial FROM restart.state'), '60');
    // The server really restarted between the first commit and the last.
    const [first, last] = (
      await pg.sql("SELECT min(line::jsonb->>'time') || ' ' || max(line::jsonb->>'time') FROM restart.audit")
    ).split(' ');
    const up = new Date(
      await pg.sql(
        'SELECT to_char(pg_postmaster_start_time() AT TIME ZONE \'UTC\', \'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"\')',
      ),
    );
    assert.ok(new Date(first) < up && up < new Date(last), `${first} < ${up.toISOString()} < ${last}`);
    const v = await h2k(['audit', 'verify', dir], { env: env() });
    assert.equal(v.stdout, 'ok: 60 audit record(s), chain intact.\n', v.stderr);
  });

  it('the lock names its holder, a dead holder is reported with its ID, and force-unlock removes it', async () => {
    const dir = writeConfig({ 'main.h2k.hcl': CONFIG('locks') });
    const holder = join(dir, 'holder.mjs');
    writeFileSync(
      holder,
      `import { PgBackend } from ${JSON.stringify(join(REPO, 'dist/src/state/pg/backend.js'))};
import { Sensitive } from ${JSON.stringify(join(REPO, 'dist/src/schema/values.js'))};
const b = new PgBackend({ type: 'pg', conn_str: new Sensitive(process.env.H2K_VAR_pg_conn), schema_name: 'locks' });
const l = await b.lock('apply');
console.log(l.info.id);
process.stdin.once('data', async () => { await l.release(); await b.close(); process.exit(0); });`,
    );
    // The holder keeps the lock until a line on its stdin (a timer would race a loaded host).
    const hold = () => {
      const c = spawn(process.execPath, [holder], {
        env: { ...process.env, ...env() },
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      return new Promise<{ id: string; child: typeof c }>((r) =>
        c.stdout.once('data', (d: Buffer) => r({ id: d.toString().trim(), child: c })),
      );
    };
    const { id, child } = await hold();
    const busy = await h2k(['state', 'rm', 'vm.x', dir], { env: env() });
    assert.equal(busy.exitCode, 1);
    assert.match(
      busy.stderr,
      new RegExp(`is locked by apply by \\S+@\\S+ \\(pid ${child.pid}, since \\S+, lock ID ${id}\\)`),
    );
    child.stdin!.write('release\n');
    await new Promise((r) => child.once('exit', r));
    const { id: deadId, child: dead } = await hold();
    dead.kill('SIGKILL');
    await new Promise((r) => dead.once('exit', r));
    const stale = await h2k(['state', 'rm', 'vm.x', dir], { env: env() });
    assert.match(stale.stderr, new RegExp(`whose session has ended\\n  hint: .*h2k force-unlock ${deadId}`));
    assert.equal((await h2k(['force-unlock', 'wrong-id', dir], { env: env() })).exitCode, 1);
    const unlocked = await h2k(['force-unlock', deadId, dir], { env: env() });
    assert.equal(unlocked.exitCode, 0, unlocked.stderr);
    const now = await h2k(['state', 'rm', 'vm.x', dir], { env: env() });
    assert.match(now.stderr, /vm\.x is not in the state/);
  });

  it('moves a local state and its journal into Postgres and back, verified, byte for byte', async () => {
    const dir = writeConfig({ 'main.h2k.hcl': CONFIG('moved') });
    const local = await StateStore.open(new LocalBackend(dir));
    for (const vm of ['vm.a', 'vm.b']) {
      const r = { status: 'done' as const, input_hash: `in-${vm}`, outputs: [], started_at: 't0', finished_at: 't1' };
      await local.update((d) => void ((d.vms[vm] ??= { stages: {} }).stages.convert = r), {
        event: 'stage-done',
        vm,
        stage: 'convert',
      });
    }
    await local.update((d) => void (d.vms['vm.empty'] = { stages: {} }));
    const there = await h2k(['state', 'migrate', dir], { env: env() });
    assert.equal(there.exitCode, 0, there.stderr);
    assert.match(there.stdout, /^Copied the state \(serial 3, 3 VM\(s\)\) and its audit journal \(2 record\(s\)\)/);
    const refused = await h2k(['state', 'migrate', dir], { env: env() });
    assert.match(refused.stderr, /already holds a state or an audit journal; it is not overwritten/);
    const list = await h2k(['state', 'list', dir], { env: env() });
    assert.equal(list.stdout, 'vm.a  done: convert\nvm.b  done: convert\nvm.empty  nothing done\n');

    const back = tempDir();
    cpSync(join(dir, 'main.h2k.hcl'), join(back, 'main.h2k.hcl'));
    const home = await h2k(['state', 'migrate', back, '-to', 'local'], { env: env() });
    assert.equal(home.exitCode, 0, home.stderr);
    const read = (d: string, f: string) => readFileSync(join(d, '.h2k', f), 'utf8');
    assert.equal(read(back, 'audit.jsonl'), read(dir, 'audit.jsonl'));
    assert.equal(
      canonicalJson(JSON.parse(read(back, 'state.json'))),
      canonicalJson(JSON.parse(read(dir, 'state.json'))),
    );
    // The configuration still names the backend, so the copy is checked here rather than by the CLI.
    const head = JSON.parse(read(back, 'state.json')).audit_head;
    assert.deepEqual(verifyAuditLines(readAuditLines(back), head).problems, []);
  });

  it('wrong password, unreachable server, missing database: one line and a hint each, no stack', async () => {
    const dir = writeConfig({ 'main.h2k.hcl': CONFIG() });
    const cases: [string, RegExp][] = [
      [
        pg.url.replace(pg.password, 'wrong'),
        new RegExp(
          String.raw`^Error: Postgres at postgres://h2k@127\.0\.0\.1:\d+/h2k refused the login: password ` +
            String.raw`authentication failed for user "h2k"\n {2}hint: check the user and password`,
        ),
      ],
      [
        `postgres://h2k:x@127.0.0.1:1/h2k`,
        new RegExp(
          String.raw`^Error: cannot reach Postgres at postgres://h2k@127\.0\.0\.1:1/h2k \(ECONNREFUSED\)\n {2}` +
            String.raw`hint: is the server running`,
        ),
      ],
      [
        pg.url.replace(/\/h2k$/, '/nosuchdb'),
        /^Error: Postgres at \S+\/nosuchdb: database "nosuchdb" does not exist\n {2}hint: create the database/,
      ],
    ];
    for (const [url, want] of cases) {
      const r = await h2k(['state', 'list', dir], { env: env(url) });
      assert.equal(r.exitCode, 1);
      assert.match(r.stderr, want);
      assert.equal(r.stderr.trimEnd().split('\n').length, 2, r.stderr);
      assert.ok(!r.stderr.includes(pg.password) && !r.stderr.includes(':x@'));
    }
  });

  it('a password written into a non-sensitive conn_str is refused at its file:line:col', async () => {
    const dir = writeConfig({
      'main.h2k.hcl': `backend "pg" {\n  conn_str = "postgres://h2k:hunter2@db/h2k"\n}\n`,
    });
    const r = await h2k(['validate', dir]);
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /main\.h2k\.hcl:2:14: error: Password in a non-sensitive connection string/);
    assert.ok(!r.stderr.includes('hunter2'), r.stderr);
  });

  it("a source's in-flight limit holds a claimant until a slot is free; a VM is held by one claimant", async () => {
    const backend = new PgBackend({ type: 'pg', conn_str: new Sensitive(pg.url), schema_name: 'claims' });
    const queue = new FleetQueue(backend);
    try {
      const first = await queue.slot('source:lab', 2);
      const second = await queue.slot('source:lab', 2);
      let waited = false;
      const third = queue.slot('source:lab', 2, () => (waited = true));
      await new Promise((r) => setTimeout(r, 1500));
      assert.ok(waited, 'a third VM of a source limited to 2 must wait');
      await first.release();
      await (await third).release();
      await second.release();
      const vm = await queue.claim('vm:vm.a');
      let other = false;
      const next = queue.claim('vm:vm.a', () => (other = true));
      await new Promise((r) => setTimeout(r, 1000));
      assert.ok(other, 'a VM being worked on must not be claimed twice');
      await vm.release();
      await (await next).release();
    } finally {
      await queue.stop();
      await backend.close();
    }
  });

  it('progress messages arrive again after a restart that keeps the server down for seconds', async () => {
    const backend = new PgBackend({ type: 'pg', conn_str: new Sensitive(pg.url), schema_name: 'progress' });
    const queue = new FleetQueue(backend);
    try {
      const got: unknown[] = [];
      await queue.listen((m) => got.push(m));
      await pg.restart(3000);
      const end = Date.now() + 20_000;
      while (!got.some((m) => (m as { n?: number })?.n === 2) && Date.now() < end) {
        await queue.notify({ n: 2 });
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.ok(
        got.some((m) => (m as { n?: number })?.n === 2),
        'the listener never came back',
      );
    } finally {
      await queue.stop();
      await backend.close();
    }
  });

  it('the password is in no table of the database', async () => {
    const { stdout } = await execa('pg_dump', ['-d', pg.url, '--data-only'], { env: { PGPASSWORD: pg.password } });
    assert.ok(stdout.includes('vm.a'), 'the dump holds the states written above');
    assert.ok(!stdout.includes(pg.password));
  });
});
