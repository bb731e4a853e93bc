// One libguestfs appliance, driven command by command. `guestfish --listen` starts a server that
// owns the appliance; each `guestfish --remote` call runs one command in it. So inspection and
// fixes can branch on what they find while paying for exactly one appliance launch.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { type GuestfsEnv, guestfsEnv } from './guestfs-backend.js';
import { findTool } from './locate.js';
import { reaped, reapWithUs } from './reaper.js';
import { NoSpaceError, fullWatch } from '../util/files.js';

export interface GuestDisk {
  path: string;
  format?: string;
}

/** The non-empty lines of a guestfish answer. */
export function lines(s: string | undefined): string[] {
  return (s ?? '').split('\n').filter((l) => l.trim() !== '');
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
  private appliance?: number;
  private watch?: NodeJS.Timeout;
  private full?: NoSpaceError;

  private constructor(
    private readonly bin: string,
    private readonly pid: string,
    private readonly env: GuestfsEnv,
  ) {}

  /** Hypervisor processes of appliances this process started, as libguestfs reports them. */
  private static appliancePids = new Set<number>();

  /** Appliances actually started by this process: counted from their hypervisor processes. */
  static get launches(): number {
    return GuestfishSession.appliancePids.size;
  }

  static async launch(disks: GuestDisk[], opts: { readonly: boolean; discard?: boolean }): Promise<GuestfishSession> {
    const bin = findTool('guestfish');
    if (!bin) throw new Error('guestfish not found: install libguestfs-tools (npm run setup)');
    const { env } = await guestfsEnv();
    const pid = await startListener(bin, ['--listen'], env);
    reapWithUs(Number(pid));
    const s = new GuestfishSession(bin, pid, env);
    try {
      for (const d of disks) {
        const params = [
          `readonly:${opts.readonly}`,
          ...(d.format ? [`format:${d.format}`] : []),
          ...(opts.discard && !opts.readonly ? ['discard:besteffort'] : []),
        ];
        await s.run('add-drive', d.path, ...params);
      }
      // FIX rebuilds initramfs images, which is CPU work: give that appliance the host's cores.
      if (!opts.readonly) await s.run('set-smp', String(Math.min(4, availableParallelism())));
      await s.run('run');
      const pid = Number((await s.run('get-pid')).trim());
      if (Number.isInteger(pid) && pid > 0) {
        GuestfishSession.appliancePids.add(pid);
        s.appliance = pid;
        reapWithUs(pid);
      }
      if (!opts.readonly) s.watchSpace([...new Set(disks.map((d) => dirname(d.path)))]);
    } catch (err) {
      await s.close();
      throw err;
    }
    return s;
  }

  async run(...command: string[]): Promise<string> {
    this.log.push(command.join(' '));
    if (this.full) throw this.full;
    const r = await execa(this.bin, [`--remote=${this.pid}`, '--', ...command], {
      env: { ...process.env, ...this.env },
      reject: false,
      stripFinalNewline: false,
    });
    if (this.full) throw this.full;
    if (r.exitCode !== 0) throw new GuestfishError(command, r.stderr || r.stdout);
    return r.stdout;
  }

  /** qemu pauses the appliance when a disk's filesystem is full (its default for write errors), and
   *  guestfish then waits forever. So while a read-write appliance runs, the room where its disks
   *  live is checked each second; full twice in a row, the appliance is stopped and every command
   *  fails with NoSpaceError (an ENOSPC the caller reports like any other). */
  private watchSpace(dirs: string[]): void {
    const look = fullWatch(dirs);
    this.watch = setInterval(() => {
      const full = look();
      if (!full || this.full) return;
      this.full = new NoSpaceError(full);
      clearInterval(this.watch);
      for (const pid of [this.appliance, Number(this.pid)])
        if (pid)
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
    }, 1000);
    this.watch.unref();
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

  private scratch?: string;

  /** A guest file's exact bytes as text (`cat` output is not byte-exact), or undefined if absent. */
  async readFile(path: string): Promise<string | undefined> {
    return (await this.readBytes(path))?.toString('utf8');
  }

  /** A guest file's bytes, or undefined if absent. */
  async readBytes(path: string): Promise<Buffer | undefined> {
    if ((await this.try('is-file', path, 'followsymlinks:true'))?.trim() !== 'true') return undefined;
    this.scratch ??= mkdtempSync(join(tmpdir(), 'h2k-gf-'));
    const local = join(this.scratch, 'file');
    await this.run('download', path, local);
    const bytes = readFileSync(local);
    rmSync(local, { force: true });
    return bytes;
  }

  /** `size` bytes of a guest file or device from `offset` (fewer at its end). */
  async readRange(path: string, offset: number, size: number): Promise<Buffer> {
    this.scratch ??= mkdtempSync(join(tmpdir(), 'h2k-gf-'));
    const local = join(this.scratch, 'range');
    await this.run('download-offset', path, local, String(offset), String(size));
    const bytes = readFileSync(local);
    rmSync(local, { force: true });
    return bytes;
  }

  /** Replaces a guest file with exactly these bytes. */
  async writeFile(path: string, text: string | Buffer): Promise<void> {
    this.scratch ??= mkdtempSync(join(tmpdir(), 'h2k-gf-'));
    const local = join(this.scratch, 'file');
    writeFileSync(local, text);
    await this.run('upload', local, path);
    rmSync(local, { force: true });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.watch);
    if (this.scratch) rmSync(this.scratch, { recursive: true, force: true });
    await execa(this.bin, [`--remote=${this.pid}`, '--', 'exit'], {
      env: { ...process.env, ...this.env },
      reject: false,
    });
    reaped(Number(this.pid));
    reaped(this.appliance);
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
