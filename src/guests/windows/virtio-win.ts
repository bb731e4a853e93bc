// virtio-win, from the path policy virtio_win gives (the ISO or an unpacked copy; h2k never
// downloads it): which of its directories fit a guest, what they hold, and the boot driver's .inf.
// The layout is virtio-win's own: <driver>/<windows version>/<arch>/<files>, e.g. viostor/2k19/amd64.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { execa } from 'execa';
import type { OsFacts, VirtioFile, VirtioWinFacts } from '../../model/guest-facts.js';
import { requireTool } from '../../tools/known-tools.js';
import { UserError } from '../../util/errors.js';
import { hashOf, sha256 } from '../../util/hash.js';

/** The block driver Windows must load at boot for a virtio-blk disk. */
export const BOOT_DRIVER = 'viostor';

/** virtio-win's directory for a Windows version: 2k19 for Server 2019 (build 17763), w10 for 10, ... */
export function virtioOsDir(os: Pick<OsFacts, 'major' | 'minor'>, variant: string, build: string): string | undefined {
  const server = variant.toLowerCase() !== 'client';
  const v = `${os.major}.${os.minor}`;
  const b = Number(build);
  if (server) {
    const old: Record<string, string> = { '6.0': '2k8', '6.1': '2k8R2', '6.2': '2k12', '6.3': '2k12R2' };
    if (old[v]) return old[v];
    if (v !== '10.0') return undefined;
    return b >= 26100 ? '2k25' : b >= 20348 ? '2k22' : b >= 17763 ? '2k19' : '2k16';
  }
  const client: Record<string, string> = { '6.1': 'w7', '6.2': 'w8', '6.3': 'w8.1' };
  if (client[v]) return client[v];
  return v === '10.0' ? (b >= 22000 ? 'w11' : 'w10') : undefined;
}

export function virtioArchDir(arch: string): string | undefined {
  return { x86_64: 'amd64', i386: 'x86', i686: 'x86', aarch64: 'ARM64' }[arch];
}

/** From an .inf's [Manufacturer] and model sections: the first install section and the hardware
 *  IDs that lead to it. */
export function parseInf(text: string): { section: string; hardware_ids: string[] } | undefined {
  const sections = new Map<string, string[]>();
  let current = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/;.*$/, '').trim();
    const head = /^\[(.+)\]$/.exec(line);
    if (head) sections.set((current = head[1].trim().toLowerCase()), []);
    else if (line && current) sections.get(current)!.push(line);
  }
  for (const m of sections.get('manufacturer') ?? []) {
    const [name, ...decorations] = m
      .split('=')[1]
      .split(',')
      .map((s) => s.trim());
    const models = decorations.length ? decorations.map((d) => `${name}.${d}`) : [name];
    for (const model of models) {
      const entries = (sections.get(model.toLowerCase()) ?? []).map((l) =>
        l
          .split('=')[1]
          .split(',')
          .map((s) => s.trim()),
      );
      if (!entries.length || entries[0].length < 2) continue;
      const section = entries[0][0];
      return { section, hardware_ids: entries.filter((e) => e[0] === section).map((e) => e[1]) };
    }
  }
  return undefined;
}

function decodeText(b: Buffer): string {
  return b[0] === 0xff && b[1] === 0xfe ? b.subarray(2).toString('utf16le') : b.toString('utf8');
}

/** virtio-win as a directory: itself, or an ISO unpacked into a temporary one (removed by close). */
export async function openVirtioWin(
  source: string,
  configDir: string,
): Promise<{ root: string; kind: 'directory' | 'iso'; close(): void }> {
  const path = resolve(configDir, source);
  if (!existsSync(path))
    throw new UserError(
      `virtio_win ${source}: no such file or directory`,
      'give the virtio-win ISO or an unpacked copy of it',
    );
  if (statSync(path).isDirectory()) return { root: path, kind: 'directory', close: () => undefined };
  const xorriso = requireTool('xorriso');
  const root = mkdtempSync(join(tmpdir(), 'h2k-virtio-win-'));
  const r = await execa(xorriso, ['-osirrox', 'on', '-indev', path, '-extract', '/', root], { reject: false });
  if (r.exitCode !== 0) {
    rmSync(root, { recursive: true, force: true });
    throw new UserError(
      `virtio_win ${source}: not a readable ISO (${r.stderr.trim().split('\n').pop()})`,
      'give the virtio-win ISO or an unpacked copy of it',
    );
  }
  return { root, kind: 'iso', close: () => rmSync(root, { recursive: true, force: true }) };
}

/** What inspection's facts depend on here, cheaply: the path, and the size and time of the ISO or of
 *  every file in the unpacked tree (a replaced or updated virtio-win changes it). */
export function virtioWinStamp(source: string, configDir: string): string {
  if (!source) return '';
  const path = resolve(configDir, source);
  if (!existsSync(path)) return `${path}: missing`;
  const stamp = (file: string) => {
    const s = statSync(file);
    return [relative(path, file), s.size, s.mtimeMs];
  };
  return hashOf([path, ...(statSync(path).isDirectory() ? walk(path).sort() : [path]).map(stamp)]);
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : [],
  );
}

/** The drivers virtio-win has for this Windows version and architecture, every file hashed. */
export async function readVirtioWin(
  source: string,
  configDir: string,
  osDir: string,
  archDir: string,
): Promise<VirtioWinFacts> {
  const tree = await openVirtioWin(source, configDir);
  try {
    const drivers: Record<string, VirtioFile[]> = {};
    for (const file of walk(tree.root)) {
      const rel = relative(tree.root, file).split(sep).join('/');
      const parts = rel.split('/');
      if (
        parts.length !== 4 ||
        parts[1].toLowerCase() !== osDir.toLowerCase() ||
        parts[2].toLowerCase() !== archDir.toLowerCase()
      )
        continue;
      if (/\.pdb$/i.test(parts[3])) continue; // debug symbols: large, never loaded
      const bytes = readFileSync(file);
      (drivers[parts[0]] ??= []).push({
        path: rel,
        sha256: sha256(bytes),
        bytes: bytes.length,
      });
    }
    for (const files of Object.values(drivers)) files.sort((a, b) => (a.path < b.path ? -1 : 1));
    const bootInf = drivers[BOOT_DRIVER]?.find((f) => /\.inf$/i.test(f.path));
    const parsed = bootInf ? parseInf(decodeText(readFileSync(join(tree.root, bootInf.path)))) : undefined;
    return {
      source,
      kind: tree.kind,
      os_dir: osDir,
      arch_dir: archDir,
      drivers: Object.fromEntries(
        Object.entries(drivers).sort(([a], [b]) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1)),
      ),
      ...(bootInf && parsed ? { boot: { driver: BOOT_DRIVER, inf: bootInf.path, ...parsed } } : {}),
    };
  } finally {
    tree.close();
  }
}
