// A libguestfs session's helpers (guestfish and its qemu appliance) end with the process that holds
// it, whatever ends that process and wherever the session is: before the appliance launch, in the
// middle of it, and once it is up; by SIGTERM, SIGINT (with h2k's own handlers that exit, and with
// none) and SIGKILL. Real guestfish, real appliances.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { processAlive } from '../../src/util/processes.js';
import { REPO, tempDir } from '../helpers.js';

const DRIVER = join(REPO, 'dist', 'test', 'e2e', 'session-driver.js');

/** Every process whose ancestry leads to `root` (by /proc's ppid), with its command line. */
function descendants(root: number): Map<number, string> {
  const parent = new Map<number, number>();
  const name = new Map<number, string>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(e), Number(rest[1]));
      name.set(Number(e), readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').join(' ').trim());
    } catch {
      // ended meanwhile
    }
  }
  const out = new Map<number, string>();
  const walk = (p: number) => {
    for (const [c, pp] of parent) if (pp === p && !out.has(c)) (out.set(c, name.get(c)!), walk(c));
  };
  walk(root);
  return out;
}

/** h2k's guestfish: the program with no argument but --keys-from-stdin (commands and passphrases come on
 *  stdin). */
const isGuestfish = (cmdline: string) => /(^|\/)guestfish --keys-from-stdin$/.test(cmdline);
const isAppliance = (cmdline: string) => /(^|\/)qemu-system/.test(cmdline);

type Point = 'before the launch' | 'during the launch' | 'with the appliance up';

async function signalled(disk: string, point: Point, signal: NodeJS.Signals, mode: string) {
  const child = spawn(process.execPath, [DRIVER, disk, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise((r) => child.once('exit', r));
  const until = async (what: string, ok: () => boolean, ms: number) => {
    for (const end = Date.now() + ms; !ok(); await new Promise((r) => setTimeout(r, 50)))
      if (Date.now() > end) throw new Error(`${point}: no ${what} within ${ms / 1000} s; the driver said: ${out}`);
  };
  const helpers = () => descendants(child.pid!);
  try {
    await until('guestfish', () => out.includes('launching') && [...helpers().values()].some(isGuestfish), 60_000);
    if (point === 'during the launch')
      await until('appliance', () => [...helpers().values()].some(isAppliance), 300_000);
    if (point === 'with the appliance up') await until('launch', () => out.includes('launched'), 900_000);
    const seen = helpers();
    child.kill(signal);
    await exited;
    // The watcher polls once a second; guestfish waits for its appliance to stop.
    const left = () => [...seen].filter(([pid]) => processAlive(pid));
    for (const end = Date.now() + 15_000; left().length && Date.now() < end;)
      await new Promise((r) => setTimeout(r, 200));
    return { seen: [...seen.values()], left: left().map(([pid, n]) => `${pid} ${n.slice(0, 60)}`) };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

describe('a libguestfs session dies with its process', () => {
  it('SIGTERM, SIGINT and SIGKILL before, during and after the appliance launch leave no helper', async () => {
    const disk = join(tempDir(), 'blank.qcow2');
    await execa('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '16M']);
    // The three signals side by side (three appliances at once, as on a loaded conversion host),
    // one point after another.
    for (const point of ['before the launch', 'during the launch', 'with the appliance up'] as Point[]) {
      const cases: [NodeJS.Signals, string][] = [
        ['SIGTERM', 'exit-on-signal'],
        ['SIGINT', 'default'],
        ['SIGKILL', 'default'],
      ];
      const results = await Promise.all(cases.map(([signal, mode]) => signalled(disk, point, signal, mode)));
      results.forEach((r, i) => {
        const [signal, mode] = cases[i];
        assert.ok(r.seen.some(isGuestfish), `${point}: h2k's guestfish ran (${r.seen.join(', ')})`);
        if (point !== 'before the launch')
          assert.ok(r.seen.some(isAppliance), `${point}: the appliance ran (${r.seen.join(', ')})`);
        assert.deepEqual(r.left, [], `${signal} (${mode}) ${point}: helpers outlived their process`);
      });
    }
  });
});
