// One libguestfs appliance, driven command by command through one guestfish process. So inspection
// and fixes can branch on what they find while paying for exactly one appliance launch.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type GuestfsEnv, guestfsEnv, hostAccel } from './guestfs-backend.js';
import { requireTool } from './known-tools.js';
import { reaped, reapWithUs } from './reaper.js';
import type { GuestMount } from '../model/guest-facts.js';
import { UserError } from '../util/errors.js';
import { NoSpaceError, fullWatch } from '../util/files.js';
import { cpuTicks } from '../util/proc.js';

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

class LaunchTimeout extends Error {
  constructor(seconds: number) {
    super(`the libguestfs appliance did not come up in ${seconds} s`);
  }
}

/** How long an appliance launch may take: 13–40 s under TCG here, minutes on a host loaded with
 *  other appliances; H2K_APPLIANCE_LAUNCH_TIMEOUT (seconds) sets it. */
export function launchTimeoutSeconds(): number {
  const set = Number(process.env.H2K_APPLIANCE_LAUNCH_TIMEOUT);
  return set > 0 ? set : 300;
}

/** What inspection reads through: an appliance of its own (GuestfishSession), or one VM's disks in
 *  an appliance shared with other VMs (shared-appliance.ts). */
export interface GuestReader {
  run(...command: string[]): Promise<string>;
  try(...command: string[]): Promise<string | undefined>;
  readFile(path: string): Promise<string | undefined>;
  readBytes(path: string): Promise<Buffer | undefined>;
  readRange(path: string, offset: number, size: number): Promise<Buffer>;
  openLuks(device: string, name: string, key: Secret, readonly: boolean): Promise<void>;
}

/** A passphrase as the configuration holds it (schema/values.ts's Sensitive): shown as "(sensitive)". */
export interface Secret {
  reveal(): unknown;
}

export class GuestfishSession implements GuestReader {
  /** Commands run, for --debug and for counting launches in benchmarks. */
  readonly log: string[] = [];
  private closed = false;
  private appliance?: number;
  private watch?: NodeJS.Timeout;
  private full?: NoSpaceError;

  private constructor(private readonly shell: GuestfishShell) {}

  /** Hypervisor processes of appliances this process started, as libguestfs reports them. */
  private static appliancePids = new Set<number>();

  /** Appliances actually started by this process: counted from their hypervisor processes. */
  static get launches(): number {
    return GuestfishSession.appliancePids.size;
  }

  /** An appliance launched with the disks. A launch that does not finish in launchTimeoutSeconds()
   *  (a hung appliance kernel: seen once under TCG, both vCPUs spinning for 20 minutes before any
   *  disk was read) is killed and launched once more; a second one is an error. */
  static async launch(disks: GuestDisk[], opts: { readonly: boolean; discard?: boolean }): Promise<GuestfishSession> {
    for (let attempt = 1; ; attempt++)
      try {
        return await GuestfishSession.start(disks, opts);
      } catch (err) {
        if (!(err instanceof LaunchTimeout)) throw err;
        if (attempt === 2)
          throw new UserError(
            `${err.message}, twice`,
            'the host is too loaded or its /dev/kvm does not work: `h2k doctor` finds backend settings that do',
          );
        process.stderr.write(`warning: ${err.message}; launching it once more\n`);
      }
  }

  private static async start(disks: GuestDisk[], opts: { readonly: boolean; discard?: boolean }) {
    const bin = requireTool('guestfish');
    const { env } = await guestfsEnv();
    const s = new GuestfishSession(new GuestfishShell(bin, env));
    try {
      for (const d of disks) {
        const params = [
          `readonly:${opts.readonly}`,
          ...(d.format ? [`format:${d.format}`] : []),
          ...(opts.discard && !opts.readonly ? ['discard:besteffort'] : []),
        ];
        await s.run('add-drive', d.path, ...params);
      }
      // FIX rebuilds initramfs images, which is CPU work: on KVM that appliance gets the host's
      // cores. Not under TCG: there D's FIX was no faster with two vCPUs (docs/benchmarks.md), and
      // the one appliance seen hung before reading its disk had two.
      if (!opts.readonly && (await hostAccel()) === 'kvm')
        await s.run('set-smp', String(Math.min(4, availableParallelism())));
      await s.bounded(launchTimeoutSeconds(), () => s.run('run'));
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

  /** `step`, or a LaunchTimeout once it took `seconds`: guestfish and its appliance are killed then. */
  private async bounded<T>(seconds: number, step: () => Promise<T>): Promise<T> {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.shell.kill();
    }, seconds * 1000);
    try {
      return await step();
    } catch (err) {
      if (timedOut) throw new LaunchTimeout(seconds);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  async run(...command: string[]): Promise<string> {
    this.log.push(command.join(' '));
    return this.exec(command);
  }

  private async exec(command: string[], key?: string): Promise<string> {
    if (this.full) throw this.full;
    // A full disk stops the appliance and guestfish: the command fails, and the cause is the disk.
    const r = await this.shell.send(command, key).catch((err: unknown) => {
      throw this.full ?? err;
    });
    if (this.full) throw this.full;
    if (r.failed) throw new GuestfishError(command, r.stderr || r.stdout);
    return r.stdout;
  }

  /** Opens a LUKS volume as /dev/mapper/`name`. The passphrase goes to guestfish on its input, the line
   *  after the command (--keys-from-stdin): never in argv, a file, or the session's log. */
  async openLuks(device: string, name: string, key: Secret, readonly: boolean): Promise<void> {
    const text = String(key.reveal());
    if (/[\r\n]/.test(text))
      throw new UserError(
        `the passphrase for ${device} holds a line break`,
        'libguestfs reads a passphrase as one line: add a key without one to a free slot (cryptsetup luksAddKey)',
      );
    // Were the command unknown (libguestfs before 1.43), guestfish would run the passphrase as one.
    this.canOpenLuks ??= (await this.try('help', 'cryptsetup-open')) !== undefined;
    if (!this.canOpenLuks)
      throw new UserError(
        'this libguestfs cannot open LUKS volumes',
        'h2k needs libguestfs 1.44 or later (npm run setup)',
      );
    this.log.push(`cryptsetup-open ${device} ${name} readonly:${readonly} (passphrase on stdin)`);
    await this.exec(['cryptsetup-open', device, name, `readonly:${readonly}`], text);
  }

  /** qemu pauses the appliance when a disk's filesystem is full (its default for write errors), and
   *  guestfish then waits forever. So while a read-write appliance runs, the room where its disks
   *  live is checked each second; full twice in a row, the appliance is stopped and every command
   *  fails with NoSpaceError (an ENOSPC the caller reports like any other). */
  private watchSpace(dirs: string[]): void {
    // qemu's stop on ENOSPC, seen from outside: a command waits and the appliance used no CPU since.
    let ticks = cpuTicks(this.appliance);
    const stalled = () => {
      const now = cpuTicks(this.appliance);
      // No CPU figure to read (no pid from libguestfs): the room alone decides, as it did before.
      const still = this.shell.busy && (now === undefined || ticks === undefined || now - ticks < 5);
      ticks = now;
      return still;
    };
    const look = fullWatch(dirs, stalled);
    this.watch = setInterval(() => {
      const full = look();
      if (!full || this.full) return;
      this.full = new NoSpaceError(full);
      clearInterval(this.watch);
      for (const pid of [this.appliance, this.shell.pid])
        if (pid)
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
    }, 1000);
    this.watch.unref();
  }

  /** A guest filesystem mounted where the guest mounts it (read-only in a read-only appliance). */
  async mountAt(m: GuestMount): Promise<string> {
    return m.options
      ? this.run('mount-options', m.options, m.device, m.mountpoint)
      : this.run('mount', m.device, m.mountpoint);
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
  private canOpenLuks?: boolean;

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
    // Closing guestfish's input ends it, and with it the appliance (libguestfs waits for qemu).
    await this.shell.close();
    reaped(this.appliance);
  }
}

/** guestfish's quoting: every argument in double quotes, with C escapes for what it cannot hold. */
export function quoteArg(arg: string): string {
  let out = '"';
  for (const ch of arg) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

interface Reply {
  stdout: string;
  stderr: string;
  failed: boolean;
}

/** One guestfish process for the whole session, fed commands on its standard input. It dies with
 *  h2k: its input closes when h2k ends, however h2k ends, and the reaper kills it if a command is
 *  still running then. (Each command used to be a `guestfish --remote` process talking to a detached
 *  `--listen` daemon: a process per command, PIDs wrapping every few minutes, and a daemon that
 *  anything killing by name or by a stale PID took from under the run.)
 *
 *  guestfish says nothing when a command succeeds and gives no status on its input, so each command
 *  is followed by two markers: `echo` prints one on stdout once the command's output is complete,
 *  and an `lcd` into a directory that cannot exist prints one on stderr once its errors are. A
 *  command failed when it wrote to stderr anything but libguestfs warnings. Every command has the
 *  `-` prefix, so a failure does not end guestfish. */
export class GuestfishShell {
  private readonly child: ChildProcessWithoutNullStreams;
  readonly pid: number;
  private out = Buffer.alloc(0);
  private err = Buffer.alloc(0);
  private queue: Promise<unknown> = Promise.resolve();
  private waiting?: () => void;
  private ended?: string;
  private seq = 0;
  private pending = 0;
  private readonly nonce = randomBytes(6).toString('hex');

  constructor(bin: string, env: GuestfsEnv) {
    this.child = spawn(bin, ['--keys-from-stdin'], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.pid = this.child.pid ?? 0;
    reapWithUs(this.pid);
    this.child.stdout.on('data', (d: Buffer) => this.arrived('out', d));
    this.child.stderr.on('data', (d: Buffer) => this.arrived('err', d));
    this.child.stdin.on('error', () => undefined); // a dead guestfish: reported by 'exit'
    const gone = (why: string) => {
      this.ended ??= why;
      reaped(this.pid);
      this.waiting?.();
    };
    this.child.on('error', (e) => gone(`guestfish could not run: ${e.message}`));
    this.child.on('exit', (code, signal) => gone(`guestfish ended (${signal ?? `exit ${code}`})`));
  }

  private arrived(stream: 'out' | 'err', d: Buffer): void {
    if (stream === 'out') this.out = Buffer.concat([this.out, d]);
    else this.err = Buffer.concat([this.err, d]);
    this.waiting?.();
  }

  /** Runs one command after the ones before it; `key`: the line it reads from guestfish's input. */
  send(command: string[], key?: string): Promise<Reply> {
    const turn = this.queue.then(() => this.exchange(command, key));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** A command was sent and its answer has not come yet. */
  get busy(): boolean {
    return this.pending > 0;
  }

  private async exchange(command: string[], key?: string): Promise<Reply> {
    this.pending++;
    try {
      return await this.answer(command, key);
    } finally {
      this.pending--;
    }
  }

  private async answer(command: string[], key?: string): Promise<Reply> {
    const mark = `h2k-${this.nonce}-${++this.seq}`;
    const outMark = Buffer.from(`${mark}\n`);
    const errMark = Buffer.from(`/proc/${mark}: `);
    if (this.ended) throw new GuestfishError(command, this.ended);
    const line = [command[0], ...command.slice(1).map(quoteArg)].join(' ');
    this.child.stdin.write(`-${line}\n${key === undefined ? '' : `${key}\n`}echo ${mark}\n-lcd /proc/${mark}\n`);
    for (;;) {
      const o = this.out.indexOf(outMark);
      const e = this.err.indexOf(errMark);
      if (o >= 0 && e >= 0) {
        const eol = this.err.indexOf(10, e);
        if (eol >= 0) {
          const stdout = this.out.subarray(0, o).toString('utf8');
          // Errors name the input line (`*stdin*:12: libguestfs: error: …`): a line number of ours.
          const stderr = this.err
            .subarray(0, e)
            .toString('utf8')
            .replace(/^\*stdin\*:\d+: /gm, '');
          this.out = this.out.subarray(o + outMark.length);
          this.err = this.err.subarray(eol + 1);
          const failed = stderr.split('\n').some((l) => l.trim() !== '' && !/libguestfs: warning:/.test(l));
          return { stdout, stderr, failed };
        }
      }
      if (this.ended) throw new GuestfishError(command, `${this.err.toString('utf8')}\n${this.ended}`);
      await new Promise<void>((resolve) => (this.waiting = resolve));
      this.waiting = undefined;
    }
  }

  /** Kills guestfish and the processes it started (its appliance's qemu, libguestfs's recovery
   *  process) at once. */
  kill(): void {
    let children: string[] = [];
    try {
      children = readFileSync(`/proc/${this.pid}/task/${this.pid}/children`, 'utf8').split(' ').filter(Boolean);
    } catch {
      // gone already
    }
    for (const pid of [...children.map(Number), this.pid])
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
  }

  /** Ends guestfish (its input closed) and waits for it; the appliance goes with it. */
  async close(): Promise<void> {
    if (this.ended) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end();
    await exited;
  }
}
