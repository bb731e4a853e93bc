// FIX: apply exactly the planned guest edits in ONE read-write libguestfs session on the overlay.
// Every file is checked against the content the plan saw before it is replaced, so a guest that
// changed since planning is refused instead of half-fixed. The overlay is reset first, which makes
// an interrupted FIX safe to redo from a clean start.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '../util/hash.js';
import type { GuestEdit } from '../model/plan.js';
import type { GuestFacts } from '../model/guest-facts.js';
import { GuestfishSession } from '../tools/guestfish.js';
import { createOverlay } from './flatten.js';

/** initramfs and other generated files get a fixed timestamp, so a redone FIX builds the same bytes. */
export const SOURCE_DATE_EPOCH = '1700000000';

export class FixError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

export async function runFix(opts: {
  overlay: string;
  source: { path: string; format: string };
  guest: Pick<GuestFacts, 'root' | 'mounts'>;
  edits: GuestEdit[];
  onStep?: (msg: string) => void;
}): Promise<{ launches: number; commands: number }> {
  const { overlay, guest, edits } = opts;
  await createOverlay(overlay, opts.source);
  const g = await GuestfishSession.launch([{ path: overlay, format: 'qcow2' }], { readonly: false, discard: true });
  const tmp = mkdtempSync(join(tmpdir(), 'h2k-fix-'));
  try {
    await g.run('mount', guest.root, '/');
    for (const m of guest.mounts) await g.run('mount', m.device, m.mountpoint);
    let n = 0;
    for (const e of edits) {
      opts.onStep?.(describe(e));
      switch (e.kind) {
        case 'write':
        case 'delete': {
          // Symlinks are recorded as "-> target" and compared as such, never through their target.
          const isLink = e.before.startsWith('-> ');
          const current = isLink
            ? ((await g.try('readlink', e.path)) ?? '').replace(/\n$/, '')
            : await g.readFile(e.path);
          const seen = isLink ? `-> ${current}` : current;
          if (seen === undefined || sha256(seen) !== sha256(e.before))
            throw new FixError(
              `${e.path} in the guest is not what the plan saw`,
              'the source changed since planning: run h2k plan again',
            );
          if (e.kind === 'delete') await g.run('rm', e.path);
          else {
            const local = join(tmp, `f${n++}`);
            writeFileSync(local, e.after);
            await g.run('upload', local, e.path);
          }
          break;
        }
        case 'symlink':
          await g.run('ln-sf', e.target, e.path);
          break;
        case 'run':
          // libguestfs runs the command chrooted in the guest with /dev, /proc and /sys bound.
          await g.run('sh', `SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH} ${e.command.map(shellQuote).join(' ')}`);
          break;
        case 'trim':
          await g.run('fstrim', '/');
          break;
      }
    }
    // Read back what was written: FIX is done only if the guest now holds exactly the planned files.
    for (const e of edits) {
      if (e.kind !== 'write') continue;
      const now = await g.readFile(e.path);
      if (now === undefined || sha256(now) !== sha256(e.after))
        throw new FixError(
          `${e.path} does not hold the planned content after writing`,
          'this is a bug in h2k; run with --debug',
        );
    }
    await g.run('sync');
    await g.run('umount-all');
    return { launches: 1, commands: g.log.length };
  } finally {
    await g.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./=:-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function describe(e: GuestEdit): string {
  switch (e.kind) {
    case 'write':
      return `write ${e.path}`;
    case 'delete':
      return `delete ${e.path}`;
    case 'symlink':
      return `link ${e.path} -> ${e.target}`;
    case 'run':
      return `run ${e.command.join(' ')}`;
    case 'trim':
      return 'fstrim';
  }
}
