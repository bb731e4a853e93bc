import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO, h2k, tempDir, writeConfig } from '../helpers.js';
import { appendAudit, auditPath, readAuditLines } from '../../src/state/local/audit.js';
import { verifyAuditLines } from '../../src/state/audit-chain.js';
import { lockPath } from '../../src/state/local/lock.js';
import { statePath } from '../../src/state/local/state-file.js';
import { LocalBackend } from '../../src/state/local/backend.js';
import { StateStore } from '../../src/state/store.js';

const open = (dir: string) => StateStore.open(new LocalBackend(dir));

async function journal(n: number): Promise<{ dir: string; head: string }> {
  const dir = tempDir();
  const state = await open(dir);
  for (let i = 0; i < n; i++) await state.audit({ event: 'stage-done', vm: `vm.v${i}`, stage: 'fix' });
  return { dir, head: state.data.audit_head! };
}

describe('audit journal', () => {
  it('an untouched journal verifies, on the CLI too', async () => {
    const { dir, head } = await journal(4);
    assert.deepEqual(verifyAuditLines(readAuditLines(dir), head).problems, []);
    const r = await h2k(['audit', 'verify', dir]);
    assert.equal(r.exitCode, 0);
    assert.equal(r.stdout, 'ok: 4 audit record(s), chain intact.\n');
    const log = await h2k(['audit', 'log', dir, '--vm', 'vm.v2']);
    assert.match(log.stdout, /^\S+ {2}\S+@\S+ {2}stage-done vm\.v2 fix\n$/);
  });

  const tamper = async (edit: (lines: string[]) => string[], problem: RegExp) => {
    const { dir } = await journal(4);
    const lines = readFileSync(auditPath(dir), 'utf8').trimEnd().split('\n');
    writeFileSync(auditPath(dir), `${edit(lines).join('\n')}\n`);
    const r = await h2k(['audit', 'verify', dir]);
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, problem);
  };

  it('an edited record is caught', () =>
    tamper((l) => l.map((x, i) => (i === 1 ? x.replace('vm.v1', 'vm.vX') : x)), /tampered: line 3: chain broken/));
  it('a removed record is caught', () => tamper((l) => l.filter((_, i) => i !== 1), /tampered: line 2: chain broken/));
  it('reordered records are caught', () =>
    tamper((l) => [l[0], l[2], l[1], l[3]], /tampered: line 2: chain broken.*\n.*sequence 3 where 2 was expected/));
  it('records cut from the end are caught through the head kept in state', () =>
    tamper((l) => l.slice(0, 2), /tampered: line 2: the newest record is not the one the state recorded/));

  it('records are chained by the sha256 of the previous line', () => {
    const dir = tempDir();
    appendAudit(dir, { event: 'plan-created', plan_hash: 'a' });
    appendAudit(dir, { event: 'apply-started', plan_hash: 'a' });
    const [first, second] = readFileSync(auditPath(dir), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(first.prev_sha256, '0'.repeat(64));
    assert.equal(second.seq, 2);
    assert.notEqual(second.prev_sha256, first.prev_sha256);
  });
});

describe('state file', () => {
  it('the serial moves only when content changes; the previous version is kept as a backup', async () => {
    const dir = tempDir();
    const s = await open(dir);
    await s.update((d) => {
      d.vms['vm.a'] = { stages: {} };
    });
    await s.update(() => undefined);
    assert.equal(s.data.serial, 1);
    await s.update((d) => {
      d.vms['vm.b'] = { stages: {} };
    });
    assert.equal(s.data.serial, 2);
    assert.equal(JSON.parse(readFileSync(`${statePath(dir)}.backup`, 'utf8')).serial, 1);
    const again = await open(dir);
    assert.equal(again.data.lineage, s.data.lineage);
  });

  it('a process killed while writing leaves the old state or the new one, never half (30 real SIGKILLs)', async () => {
    const dir = tempDir();
    const writer = join(dir, 'writer.mjs');
    writeFileSync(
      writer,
      `import { StateStore } from ${JSON.stringify(join(REPO, 'dist/src/state/store.js'))};
import { LocalBackend } from ${JSON.stringify(join(REPO, 'dist/src/state/local/backend.js'))};
const s = await StateStore.open(new LocalBackend(process.argv[2]));
for (let i = 0; ; i++)
  await s.update((d) => { d.vms['vm.x'] = { stages: {}, pad: 'x'.repeat(20000 + (i % 7) * 1000), i }; });`,
    );
    for (let round = 0; round < 30; round++) {
      const child = spawn(process.execPath, [writer, dir], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 40 + Math.floor(Math.random() * 120)));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      if (!existsSync(statePath(dir))) continue;
      const data = JSON.parse(readFileSync(statePath(dir), 'utf8'));
      assert.equal(data.version, 1);
      assert.ok(data.serial >= 0);
    }
  });
});

describe('state lock between two real processes', () => {
  it(
    'a second apply fails fast naming the holder, waits with -lock-timeout, and a stale lock is ' + 'reported',
    async () => {
      const dir = writeConfig({ 'main.h2k.hcl': 'policy "p" {\n}\n' });
      const holder = join(dir, 'holder.mjs');
      writeFileSync(
        holder,
        `import { StateLock } from ${JSON.stringify(join(REPO, 'dist/src/state/local/lock.js'))};
const l = await StateLock.acquire(process.argv[2], 'apply');
console.log(l.info.id);
setTimeout(() => { l.release(); }, Number(process.argv[3]));`,
      );
      const hold = (ms: number) => {
        const c = spawn(process.execPath, [holder, dir, String(ms)], { stdio: ['ignore', 'pipe', 'inherit'] });
        return new Promise<{ id: string; child: typeof c }>((r) =>
          c.stdout.once('data', (d: Buffer) => r({ id: d.toString().trim(), child: c })),
        );
      };
      const { id, child } = await hold(4000);
      const fast = await h2k(['apply', dir, '-auto-approve']);
      assert.equal(fast.exitCode, 1);
      assert.match(
        fast.stderr,
        new RegExp(
          `Error: the state is locked by apply by \\S+@\\S+ \\(pid ${child.pid}, since \\S+, lock ID ${id}\\)`,
        ),
      );
      const waited = await h2k(['apply', dir, '-auto-approve', '-lock-timeout', '20s']);
      assert.equal(waited.exitCode, 0, waited.stderr);
      assert.match(waited.stdout, /Nothing to do\./);

      const { child: dead } = await hold(60_000);
      dead.kill('SIGKILL');
      await new Promise((r) => dead.once('exit', r));
      const stale = await h2k(['apply', dir, '-auto-approve']);
      assert.match(
        stale.stderr,
        new RegExp(
          String.raw`whose process \d+ on this host no longer runs\n {2}hint: if no apply is running, remove the` +
            String.raw` stale` +
            String.raw` lock: h2k force-unlock `,
        ),
      );
      const lockId = JSON.parse(readFileSync(lockPath(dir), 'utf8')).id;
      assert.equal((await h2k(['force-unlock', 'wrong-id', dir])).exitCode, 1);
      assert.equal((await h2k(['force-unlock', lockId, dir])).exitCode, 0);
      assert.ok(!existsSync(lockPath(dir)));
    },
  );
});
