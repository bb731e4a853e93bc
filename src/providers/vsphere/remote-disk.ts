// A remote disk chain made readable for libguestfs without downloading it: one nbdkit `curl`
// process per data file (read-only, Range requests, password on stdin), and a local qcow2 overlay
// whose backing is the chain expressed as qemu block options (vmdk/raw over nbd, each delta with
// its parent as `backing`). nbdkit's stats filter counts the bytes actually read.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
  /** Stops every nbdkit; returns the bytes they served. */
  close(): Promise<number>;
}

const UNITS: Record<string, number> = { B: 1, bytes: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 };

/** "read: 1083 ops, 0.72 s, 26.72 MiB, ..." → bytes. */
export function bytesFromStats(text: string): number {
  const m = /^read: [\d.]+ ops, [\d.]+ s, ([\d.]+) (B|bytes|KiB|MiB|GiB|TiB)/m.exec(text);
  return m ? Math.round(Number(m[1]) * UNITS[m[2]]) : 0;
}

export async function openRemoteDisks(source: VsphereSourceConfig, chains: RemoteChain[]): Promise<RemoteDisks> {
  const nbdkit = findTool('nbdkit');
  if (!nbdkit) throw new VsphereError('nbdkit is not installed', 'run `npm run setup` (Debian: nbdkit, which includes the curl plugin)');
  const dir = mkdtempSync(join(tmpdir(), 'h2k-remote-'));
  const children: { child: ChildProcess; stats: string; exited: Promise<void> }[] = [];
  const close = async (): Promise<number> => {
    for (const c of children) c.child.kill('SIGTERM');
    await Promise.all(children.map((c) => c.exited));
    const bytes = children.reduce((n, c) => n + (existsSync(c.stats) ? bytesFromStats(readFileSync(c.stats, 'utf8')) : 0), 0);
    rmSync(dir, { recursive: true, force: true });
    return bytes;
  };
  try {
    const disks: RemoteDisks['disks'] = [];
    for (const [d, chain] of chains.entries()) {
      let spec: Record<string, unknown> | undefined;
      // Base first, so each delta can name its parent as backing.
      for (const [l, layer] of [...chain.layers.entries()].reverse()) {
        const sock = join(dir, `d${d}l${l}.sock`);
        const stats = join(dir, `d${d}l${l}.stats`);
        const { url } = chainFile(source, chain.dir, layer.dataFile);
        const args = ['-f', '--exit-with-parent', '-U', sock, '--filter=stats', 'curl', `url=${url}`, `statsfile=${stats}`, 'timeout=60'];
        // The password goes through a FIFO: never in argv, never on disk (Node's stdin pipe is a
        // socket, which nbdkit cannot open as a file).
        const fifo = join(dir, `d${d}l${l}.pw`);
        if (source.username !== undefined) {
          await execa('mkfifo', ['-m', '600', fifo]);
          args.push(`user=${source.username}`, `password=+${fifo}`);
        }
        // A pinned thumbprint was checked by our own client on this endpoint already; nbdkit cannot pin.
        if (source.insecure || source.thumbprint) args.push('sslverify=false');
        else if (source.ca_file) args.push(`cainfo=${source.ca_file}`);
        const child = spawn(nbdkit, args, { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
        const exited = new Promise<void>((res) => child.once('exit', () => res()));
        children.push({ child, stats, exited });
        if (source.username !== undefined) await writeFile(fifo, source.password ? String(source.password.reveal()) : '');
        await waitForSocket(sock, child, () => stderr);
        const file = { driver: 'nbd', server: { type: 'unix', path: sock } };
        spec = { driver: layer.driver, file, ...(spec && layer.driver === 'vmdk' ? { backing: spec } : {}) };
      }
      const overlay = join(dir, `disk${d}.qcow2`);
      const r = await qemuImg(['create', '-q', '-f', 'qcow2', '-u', '-F', spec!.driver as string, '-b', `json:${JSON.stringify(spec)}`, overlay, String(chain.layers[0].descriptor.extents.reduce((n, e) => n + e.sectors, 0) * 512)], { reject: false });
      if (r.exitCode !== 0) throw new VsphereError(`cannot set up remote reading of ${chain.layers[0].file}: ${r.stderr.trim().split('\n').pop()}`, 'run with --debug; check qemu-utils is installed');
      disks.push({ path: overlay, format: 'qcow2' });
    }
    return { disks, close };
  } catch (err) {
    await close();
    throw err;
  }
}

async function waitForSocket(sock: string, child: ChildProcess, stderr: () => string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (existsSync(sock)) return;
    if (child.exitCode !== null) throw new VsphereError(`nbdkit could not open the remote disk: ${stderr().trim().split('\n').pop() ?? `exit ${child.exitCode}`}`, 'check the datastore is reachable and the credentials are right');
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new VsphereError('nbdkit did not start within 30 s', 'check that nbdkit and its curl plugin are installed (npm run setup)');
}
