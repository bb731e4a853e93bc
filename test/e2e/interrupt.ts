// Killing a real h2k at a chosen moment, and clearing the stale lock it leaves: what the resume
// tests share.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { H2K, h2k } from '../helpers.js';
import { helpersOf } from './kill-anywhere.js';

/** Runs h2k with args and SIGKILLs its whole process group once `when` matches its stderr (and
 *  `poll` agrees). Returns the stderr seen so far. */
export async function killedAt(
  args: string[],
  when: RegExp,
  opts: { poll?: () => boolean; env?: Record<string, string>; dir?: string } = {},
): Promise<string> {
  const child = spawn(H2K, [...args, '--no-color'], {
    detached: true,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout.resume();
  await new Promise<void>((resolve, reject) => {
    const t = setInterval(() => {
      if (when.test(err) && (!opts.poll || opts.poll())) {
        clearInterval(t);
        process.kill(-child.pid!, 'SIGKILL');
        resolve();
      }
    }, 50);
    child.on('exit', () => {
      clearInterval(t);
      reject(new Error(`h2k ended before the kill point:\n${err}`));
    });
  });
  await new Promise((r) => child.once('exit', r));
  // Its helpers end with it (its reaper); nothing here kills by name, which would reach the helpers
  // of other runs on this host (test files run side by side).
  if (opts.dir) assert.deepEqual(await helpersOf(opts.dir), [], 'helpers outlived the killed h2k');
  return err;
}

/** The killed run left its lock: h2k must report it (never steal it); force-unlock removes it. */
export async function unlock(dir: string, env: Record<string, string> = {}): Promise<void> {
  const r = await h2k(['apply', dir, '-auto-approve', '--no-color'], { env });
  const id = /force-unlock ([0-9a-f-]{36})/.exec(r.stderr)?.[1];
  assert.ok(id, `expected a stale-lock error, got: ${r.stderr}`);
  assert.match(r.stderr, /whose process \d+ on this host no longer runs/);
  assert.equal((await h2k(['force-unlock', id, dir])).exitCode, 0);
}
