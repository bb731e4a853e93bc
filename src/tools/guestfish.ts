// One libguestfs appliance, driven command by command. `guestfish --listen` starts a server that
// owns the appliance; each `guestfish --remote` call runs one command in it. So inspection and
// fixes can branch on what they find while paying for exactly one appliance launch.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { type GuestfsEnv, guestfsEnv } from './guestfs-backend.js';
import { findTool } from './locate.js';

export interface GuestDisk {
  path: string;
  format?: string;
}

export class GuestfishError extends Error {
  constructor(
    readonly command: string[],
    readonly stderr: string,
  ) {
    super(`guestfish ${command[0]} failed: ${stderr.trim().split('\n').pop()}`);
  }
}

export class GuestfishSession {
  /** Commands run, for --debug and for counting launches in benchmarks. */
  readonly log: string[] = [];
  private closed = false;

  private constructor(
    private readonly bin: string,
    private readonly pid: string,
    private readonly env: GuestfsEnv,
  ) {}

  static launches = 0;

  static async launch(disks: GuestDisk[], opts: { readonly: boolean; network?: boolean }): Promise<GuestfishSession> {
    const bin = findTool('guestfish');
    if (!bin) throw new Error('guestfish not found: install libguestfs-tools (npm run setup)');
    const { env } = await guestfsEnv();
    const args = ['--listen', opts.readonly ? '--ro' : '--rw'];
    if (opts.network) args.push('--network');
    for (const d of disks) args.push(d.format ? `--format=${d.format}` : '--format', '-a', d.path);
    const pid = await startListener(bin, args, env);
    const s = new GuestfishSession(bin, pid, env);
    GuestfishSession.launches++;
    await s.run('run');
    return s;
  }

  async run(...command: string[]): Promise<string> {
    this.log.push(command.join(' '));
    const r = await execa(this.bin, [`--remote=${this.pid}`, '--', ...command], { env: { ...process.env, ...this.env }, reject: false, stripFinalNewline: false });
    if (r.exitCode !== 0) throw new GuestfishError(command, r.stderr || r.stdout);
    return r.stdout;
  }

  /** Like run, but a failure is an answer (undefined), not an error. */
  async try(...command: string[]): Promise<string | undefined> {
    try {
      return await this.run(...command);
    } catch (err) {
      if (err instanceof GuestfishError) return undefined;
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await execa(this.bin, [`--remote=${this.pid}`, '--', 'exit'], { env: { ...process.env, ...this.env }, reject: false });
  }
}

/** Starts `guestfish --listen` and returns the daemon's PID. The listener forks a daemon that
 *  inherits stdout/stderr, so pipes would never reach EOF: it writes to files instead, and we wait
 *  only for the foreground process to exit. */
async function startListener(bin: string, args: string[], env: GuestfsEnv): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'h2k-gf-'));
  const out = join(dir, 'out');
  const err = join(dir, 'err');
  try {
    // Real file descriptors (execa's {file} option pipes through Node, which the daemon would hold).
    const outFd = openSync(out, 'w');
    const errFd = openSync(err, 'w');
    try {
      await new Promise<void>((resolve, reject) => {
        const child = spawn(bin, args, { env: { ...process.env, ...env }, stdio: ['ignore', outFd, errFd] });
        child.on('error', reject);
        child.on('exit', () => resolve());
      });
    } finally {
      closeSync(outFd);
      closeSync(errFd);
    }
    const stdout = readFileSync(out, 'utf8');
    const pid = /GUESTFISH_PID=(\d+)/.exec(stdout)?.[1];
    if (!pid) throw new GuestfishError(['--listen'], readFileSync(err, 'utf8') || stdout);
    return pid;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
