// A remote disk chain made readable for libguestfs without downloading it. Every file of the chain
// is served by its own nbdkit `curl` process (read-only, Range requests, the password through a
// FIFO) and mounted read-only as a file with nbdfuse; the mounts are linked under their own names
// into one directory, where qemu's vmdk driver follows extents and parentFileNameHint as it would
// on the datastore. (qemu refuses to resolve those names relative to an NBD node, and its vmdk
// driver takes no explicit backing; and over FUSE the host page cache absorbs the appliance's
// repeated reads: measured 8 MiB read for a plan instead of 31 MiB straight over NBD.) A local
// qcow2 overlay on top is what libguestfs opens. nbdkit's stats filter counts the bytes read.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { VsphereSourceConfig } from '../../schema/config.js';
import { findTool } from '../../tools/locate.js';
import { qemuImg } from '../../tools/qemu-img.js';
import { VsphereError } from './govc.js';
import { type RemoteChain, chainFile } from './remote-chain.js';

export interface RemoteDisks {
  /** Local qcow2 overlays, one per disk, for libguestfs (read-only). */
  disks: { path: string; format: string }[];
  /** Stops every helper process; returns the bytes nbdkit read from the datastore. */
  close(): Promise<number>;
}

const UNITS: Record<string, number> = { B: 1, bytes: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 };

/** "read: 1083 ops, 0.72 s, 26.72 MiB, ..." → bytes. */
export function bytesFromStats(text: string): number {
  const m = /^read: [\d.]+ ops, [\d.]+ s, ([\d.]+) (B|bytes|KiB|MiB|GiB|TiB)/m.exec(text);
  return m ? Math.round(Number(m[1]) * UNITS[m[2]]) : 0;
}

interface Helper {
  child: ChildProcess;
  exited: Promise<void>;
  stderr: () => string;
}

function startHelper(bin: string, args: string[]): Helper {
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  return { child, exited, stderr: () => stderr };
}

async function waitFor(path: string, h: Helper, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (existsSync(path)) return;
    if (h.child.exitCode !== null)
      throw new VsphereError(
        `${what} failed: ${h.stderr().trim().split('\n').pop() ?? `exit ${h.child.exitCode}`}`,
        'check the datastore is reachable and the credentials are right (npm run setup installs nbdkit and nbdfuse)',
      );
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new VsphereError(
    `${what} did not start within 30 s`,
    'check that nbdkit (curl plugin) and nbdfuse are installed: npm run setup',
  );
}

function tool(name: string, pkg: string): string {
  const bin = findTool(name);
  if (!bin) throw new VsphereError(`${name} is not installed`, `run \`npm run setup\` (Debian package ${pkg})`);
  return bin;
}

/** `pinnedPem`: with a thumbprint, the certificate our own client matched against it; nbdkit then
 *  trusts exactly that certificate (and still checks the host name). */
export async function openRemoteDisks(
  source: VsphereSourceConfig,
  chains: RemoteChain[],
  pinnedPem?: string,
): Promise<RemoteDisks> {
  const nbdkit = tool('nbdkit', 'nbdkit');
  const nbdfuse = tool('nbdfuse', 'libnbd-bin');
  const dir = mkdtempSync(join(tmpdir(), 'h2k-remote-'));
  const servers: (Helper & { stats: string })[] = [];
  const mounts: Helper[] = [];
  const close = async (): Promise<number> => {
    // Mounts first (they hold NBD connections); auto_unmount removes each as its process ends.
    for (const m of mounts) m.child.kill('SIGTERM');
    await Promise.all(mounts.map((m) => m.exited));
    for (const s of servers) s.child.kill('SIGTERM');
    await Promise.all(servers.map((s) => s.exited));
    const bytes = servers.reduce(
      (n, s) => n + (existsSync(s.stats) ? bytesFromStats(readFileSync(s.stats, 'utf8')) : 0),
      0,
    );
    rmSync(dir, { recursive: true, force: true });
    return bytes;
  };

  const pinnedFile = (): string => {
    if (!pinnedPem)
      throw new VsphereError(
        `${source.address}: no certificate matched the thumbprint yet`,
        'this is a bug: the chain is read before the disks are opened',
      );
    const file = join(dir, 'pinned.pem');
    if (!existsSync(file)) writeFileSync(file, pinnedPem);
    return file;
  };

  /** One nbdkit serving one datastore file on a Unix socket. */
  const serve = async (chain: RemoteChain, file: string, id: string): Promise<string> => {
    const sock = join(dir, `${id}.sock`);
    const stats = join(dir, `${id}.stats`);
    const args = [
      '-f',
      '--exit-with-parent',
      '-U',
      sock,
      '--filter=stats',
      'curl',
      `url=${chainFile(source, chain.dir, file).url}`,
      `statsfile=${stats}`,
      'timeout=60',
    ];
    // The password goes through a FIFO: never in argv, never on disk (Node's stdin pipe is a
    // socket, which nbdkit cannot open as a file).
    const fifo = join(dir, `${id}.pw`);
    if (source.username !== undefined) {
      await execa('mkfifo', ['-m', '600', fifo]);
      args.push(`user=${source.username}`, `password=+${fifo}`);
    }
    if (source.thumbprint) args.push(`cainfo=${pinnedFile()}`);
    else if (source.insecure) args.push('sslverify=false');
    else if (source.ca_file) args.push(`cainfo=${source.ca_file}`);
    const h = { ...startHelper(nbdkit, args), stats };
    servers.push(h);
    if (source.username !== undefined) await writeFile(fifo, source.password ? String(source.password.reveal()) : '');
    await waitFor(sock, h, `nbdkit serving ${file}`);
    return sock;
  };

  try {
    const disks: RemoteDisks['disks'] = [];
    for (const [d, chain] of chains.entries()) {
      const files = chain.layers.flatMap((l) => l.files.map((f) => f.file));
      const linked = join(dir, `d${d}`);
      mkdirSync(linked);
      for (const [i, file] of files.entries()) {
        const sock = await serve(chain, file, `d${d}f${i}`);
        const mnt = join(dir, `d${d}m${i}`);
        mkdirSync(mnt);
        // auto_unmount: the mount goes away with its process, even if h2k is killed.
        const m = startHelper(nbdfuse, ['-r', '-o', 'auto_unmount', join(mnt, file), '--unix', sock]);
        mounts.push(m);
        await waitFor(join(mnt, file), m, `nbdfuse mounting ${file}`);
        symlinkSync(join(mnt, file), join(linked, file));
      }
      const top = join(linked, files[0]);
      const overlay = join(dir, `disk${d}.qcow2`);
      const virtual = chain.layers[0].descriptor.extents.reduce((n, e) => n + e.sectors, 0) * 512;
      const r = await qemuImg(
        ['create', '-q', '-f', 'qcow2', '-u', '-F', 'vmdk', '-b', top, overlay, String(virtual)],
        { reject: false },
      );
      if (r.exitCode !== 0)
        throw new VsphereError(
          `cannot set up remote reading of ${chain.layers[0].file}: ${r.stderr.trim().split('\n').pop()}`,
          'run with --debug; check qemu-utils is installed',
        );
      disks.push({ path: overlay, format: 'qcow2' });
    }
    return { disks, close };
  } catch (err) {
    await close();
    throw err;
  }
}
