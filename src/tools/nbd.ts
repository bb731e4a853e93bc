// nbdkit and nbdfuse, wrapped once: a file served read-only by an nbdkit plugin on a Unix socket
// (curl for vSphere datastores today; ssh and tar for ESXi and OVA sources are the same call with
// another plugin), counted by the stats filter, and mounted as a local file with nbdfuse so qemu
// can follow a VMDK's extents and parents by name. Secrets reach nbdkit through a mode-600 FIFO:
// never argv, never disk (Node's stdin pipe is a socket, which nbdkit cannot open as a file).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { UserError } from '../util/errors.js';
import { requireTool } from './known-tools.js';
import { reaped, reapWithUs } from './reaper.js';

interface Helper {
  child: ChildProcess;
  exited: Promise<void>;
  stderr: () => string;
}

function startHelper(bin: string, args: string[]): Helper {
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  reapWithUs(child.pid);
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<void>((res) =>
    child.once('exit', () => {
      reaped(child.pid);
      res();
    }),
  );
  return { child, exited, stderr: () => stderr };
}

async function waitFor(path: string, h: Helper, what: string, hint: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (existsSync(path)) return;
    if (h.child.exitCode !== null)
      throw new UserError(`${what} failed: ${h.stderr().trim().split('\n').pop() ?? `exit ${h.child.exitCode}`}`, hint);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new UserError(`${what} did not start within 30 s`, hint);
}

const UNITS: Record<string, number> = { B: 1, bytes: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 };

/** "read: 1083 ops, 0.72 s, 26.72 MiB, ..." → bytes. */
export function bytesFromStats(text: string): number {
  const m = /^read: [\d.]+ ops, [\d.]+ s, ([\d.]+) (B|bytes|KiB|MiB|GiB|TiB)/m.exec(text);
  return m ? Math.round(Number(m[1]) * UNITS[m[2]]) : 0;
}

export interface NbdExport {
  plugin: string;
  /** Filters between the plugin and the byte count (e.g. tar: a member of the plugin's file). */
  filters?: string[];
  /** Plugin parameters (key=value), never secret. */
  params: string[];
  /** Secret parameters, passed as key=+FIFO. */
  secrets?: Record<string, string>;
}

/** Files served by nbdkit and mounted read-only by nbdfuse, under one directory; stopped together. */
export class NbdMounts {
  private readonly servers: (Helper & { stats: string })[] = [];
  private readonly mounts: Helper[] = [];
  private n = 0;

  constructor(
    private readonly dir: string,
    /** What to tell the user when a helper fails to start. */
    private readonly hint: string,
  ) {}

  /** Serves one export and mounts it read-only as `name` in a directory of its own; returns the file. */
  async mount(exp: NbdExport, name: string): Promise<string> {
    const id = `n${this.n++}`;
    const sock = join(this.dir, `${id}.sock`);
    const stats = join(this.dir, `${id}.stats`);
    const filters = [...(exp.filters ?? []), 'stats'].map((f) => `--filter=${f}`);
    const args = ['-f', '--exit-with-parent', '-r', '-U', sock, ...filters, exp.plugin, ...exp.params];
    const fifos: [string, string][] = [];
    for (const [key, value] of Object.entries(exp.secrets ?? {})) {
      const fifo = join(this.dir, `${id}.${key}`);
      await execa('mkfifo', ['-m', '600', fifo]);
      args.push(`${key}=+${fifo}`);
      fifos.push([fifo, value]);
    }
    args.push(`statsfile=${stats}`);
    const server = { ...startHelper(requireTool('nbdkit'), args), stats };
    this.servers.push(server);
    for (const [fifo, value] of fifos) await writeFile(fifo, value);
    await waitFor(sock, server, `nbdkit serving ${name}`, this.hint);
    const mnt = join(this.dir, `${id}.mnt`);
    mkdirSync(mnt);
    // auto_unmount: the mount goes away with its process, even if h2k is killed.
    const file = join(mnt, name);
    const m = startHelper(requireTool('nbdfuse'), ['-r', '-o', 'auto_unmount', file, '--unix', sock]);
    this.mounts.push(m);
    await waitFor(file, m, `nbdfuse mounting ${name}`, this.hint);
    return file;
  }

  /** Stops every helper (mounts first: they hold NBD connections); returns the bytes nbdkit read. */
  async close(): Promise<number> {
    for (const m of this.mounts) m.child.kill('SIGTERM');
    await Promise.all(this.mounts.map((m) => m.exited));
    for (const s of this.servers) s.child.kill('SIGTERM');
    await Promise.all(this.servers.map((s) => s.exited));
    return this.servers.reduce(
      (n, s) => n + (existsSync(s.stats) ? bytesFromStats(readFileSync(s.stats, 'utf8')) : 0),
      0,
    );
  }
}
