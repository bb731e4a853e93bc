// What one guestfish command costs: h2k's session (one guestfish process fed on its stdin) against
// the way h2k drove libguestfs before, and the way its tools are usually scripted: a `guestfish
// --listen` daemon and one `guestfish --remote` process per command. Same appliance settings, same
// scratch disk, the same 200 `blockdev-getsize64` commands, one after the other in this run.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { guestfsEnv, tryLaunch } from '../src/tools/guestfs-backend.js';
import { GuestfishSession } from '../src/tools/guestfish.js';
import { median, timed } from './timed.js';

const COMMANDS = 200;

export async function benchGuestfish(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'h2k-bench-gf-'));
  const disk = join(dir, 'scratch.qcow2');
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '64M']);
  const env = { ...process.env, ...(await guestfsEnv()).env };
  try {
    const g = await GuestfishSession.launch([{ path: disk, format: 'qcow2' }], { readonly: true });
    const [, session] = await timed(async () => {
      for (let i = 0; i < COMMANDS; i++) await g.run('blockdev-getsize64', '/dev/sda');
    });
    await g.close();

    // The daemon inherits the listener's stdout: a file, so that nothing waits for it to close.
    const pidFile = join(dir, 'listen.out');
    execFileSync('sh', ['-c', `guestfish --listen > '${pidFile}' 2>/dev/null`], { env, stdio: 'ignore' });
    const pid = /GUESTFISH_PID=(\d+)/.exec(readFileSync(pidFile, 'utf8'))![1];
    const remote = (...args: string[]) => execa('guestfish', [`--remote=${pid}`, '--', ...args], { env });
    await remote('add-drive', disk, 'readonly:true', 'format:qcow2');
    await remote('run');
    const [, perProcess] = await timed(async () => {
      for (let i = 0; i < COMMANDS; i++) await remote('blockdev-getsize64', '/dev/sda');
    });
    await remote('exit');
    const each = (s: number) => `${s.toFixed(2)} s (${((s / COMMANDS) * 1000).toFixed(1)} ms each)`;
    return {
      [`${COMMANDS} commands, one guestfish on stdin (h2k)`]: each(session),
      [`${COMMANDS} commands, a --remote process each`]: each(perProcess),
      'ratio (h2k / --remote)': (session / perProcess).toFixed(2),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An appliance launch (`guestfish -a /dev/null run`) booting the kernel h2k unpacked against the
 *  kernel as the distribution ships it, taking turns, five each; medians. */
export async function benchApplianceKernel(): Promise<Record<string, unknown>> {
  const { env } = await guestfsEnv();
  if (!env.SUPERMIN_KERNEL) return { skipped: 'the host kernel is not one h2k unpacks (appliance-kernel.ts)' };
  const { SUPERMIN_KERNEL, SUPERMIN_KERNEL_VERSION, LIBGUESTFS_CACHEDIR, ...asShipped } = env;
  const runs: Record<'unpacked' | 'shipped', number[]> = { unpacked: [], shipped: [] };
  for (let round = 0; round < 5; round++)
    for (const [kind, e] of [
      ['unpacked', env],
      ['shipped', asShipped],
    ] as const) {
      const r = await tryLaunch(e, 300_000);
      if (!r.ok) throw new Error(`launch (${kind}): ${r.error}`);
      runs[kind].push(r.seconds);
    }
  const list = (xs: number[]) => `${median(xs).toFixed(2)} s (${xs.map((x) => x.toFixed(1)).join(', ')})`;
  return {
    [`launch, unpacked kernel (${SUPERMIN_KERNEL_VERSION})`]: list(runs.unpacked),
    'launch, kernel as shipped': list(runs.shipped),
    'ratio (unpacked / as shipped)': (median(runs.unpacked) / median(runs.shipped)).toFixed(2),
    appliance: LIBGUESTFS_CACHEDIR,
    kernel: SUPERMIN_KERNEL,
  };
}
