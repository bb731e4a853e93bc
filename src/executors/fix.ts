// FIX: apply exactly the planned guest edits in ONE read-write libguestfs session on the overlay.
// Every file is checked against the content the plan saw before it is replaced, so a guest that
// changed since planning is refused instead of half-fixed. The overlay is reset first, which makes
// an interrupted FIX safe to redo from a clean start.
import { join, posix } from 'node:path';
import { fileSha256 } from '../util/files.js';
import { sha256 } from '../util/hash.js';
import type { GuestFile, GuestMount } from '../model/guest-facts.js';
import type { GuestEdit } from '../model/plan.js';
import { type Unlock, openVolumes } from '../guests/luks.js';
import { GuestfishSession } from '../tools/guestfish.js';
import { UserError } from '../util/errors.js';
import { type DiskEntry, createOverlays } from './flatten.js';
import { shellQuote } from '../util/shell.js';

/** initramfs and other generated files get a fixed timestamp, so a redone FIX builds the same bytes. */
export const SOURCE_DATE_EPOCH = '1700000000';

export class FixError extends UserError {}

/** What a guest family performs itself: edits only it knows (a Windows registry hive). */
export interface FamilyEdits {
  applyEdit?(g: GuestfishSession, edit: GuestEdit): Promise<void>;
  verifyEdit?(g: GuestfishSession, edit: GuestEdit): Promise<boolean>;
}

/** With every disk attached (overlays reset on their sources first); `mounts` lists / first, or
 *  only mountpoints outside the guest's tree (/C, /ESP), which the appliance creates. `hostRoot`:
 *  where upload edits copy from. */
export async function runFix(opts: {
  overlays: string[];
  sources: DiskEntry[];
  mounts: GuestMount[];
  edits: GuestEdit[];
  onStep?: (msg: string) => void;
  family?: FamilyEdits;
  hostRoot?: string;
  /** LUKS volumes to open first (guests/luks.ts). */
  unlocks?: Unlock[];
}): Promise<{ launches: number; commands: number }> {
  const { overlays, edits } = opts;
  await createOverlays(overlays, opts.sources);
  const before = GuestfishSession.launches;
  const disks = overlays.map((path) => ({ path, format: 'qcow2' }));
  const g = await GuestfishSession.launch(disks, { readonly: false, discard: true });
  try {
    await openVolumes(g, opts.unlocks ?? [], false);
    if (opts.mounts[0]?.mountpoint !== '/') for (const m of opts.mounts) await g.run('mkmountpoint', m.mountpoint);
    for (const m of opts.mounts) await g.mountAt(m);
    for (const e of edits) {
      opts.onStep?.(describe(e));
      switch (e.kind) {
        case 'write':
        case 'delete': {
          const expected: GuestFile | undefined =
            e.kind === 'delete' ? e.before : e.create ? undefined : { kind: 'file', text: e.before };
          if (!(await holds(g, e.path, expected)))
            throw new FixError(
              `${e.path} in the guest is not what the plan saw`,
              'the source changed since planning: run h2k plan again',
            );
          if (e.kind === 'delete') await g.run('rm', e.path);
          else {
            if (e.create) await g.run('mkdir-p', posix.dirname(e.path));
            await g.writeFile(e.path, e.after);
          }
          break;
        }
        case 'symlink':
          await g.run('ln-sf', e.target, e.path);
          break;
        case 'copy': {
          if (!(await hasSha256(g, e.from, e.sha256)))
            throw new FixError(
              `${e.from} in the guest is not what the plan saw`,
              'the source changed since planning: run h2k plan again',
            );
          await g.run('mkdir-p', posix.dirname(e.path));
          await g.run('cp', e.from, e.path);
          break;
        }
        case 'upload': {
          if (!opts.hostRoot)
            throw new FixError(`nothing to copy ${e.from} from`, 'this is a bug in h2k; run with --debug');
          const local = join(opts.hostRoot, e.from);
          if ((await fileSha256(local).catch(() => undefined)) !== e.sha256)
            throw new FixError(
              `${e.from} is not the file the plan saw`,
              'the drivers changed since planning: run h2k plan again',
            );
          await g.run('mkdir-p', posix.dirname(e.path));
          await g.run('upload', local, e.path);
          break;
        }
        case 'registry':
          if (!opts.family?.applyEdit)
            throw new FixError(`no family edits ${e.hive}`, 'this is a bug in h2k; run with --debug');
          await opts.family.applyEdit(g, e);
          break;
        case 'run':
          // libguestfs runs the command chrooted in the guest with /dev, /proc and /sys bound.
          await g.run('sh', `SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH} ${e.command.map(word).join(' ')}`);
          break;
        case 'trim':
          await g.run('fstrim', opts.mounts[0]?.mountpoint ?? '/');
          break;
      }
    }
    // Read back what was written: FIX is done only if the guest now holds exactly the planned files.
    for (const e of edits) {
      if (e.kind !== 'write' && e.kind !== 'copy' && e.kind !== 'upload' && e.kind !== 'registry') continue;
      const ok =
        e.kind === 'registry'
          ? ((await opts.family?.verifyEdit?.(g, e)) ?? false)
          : e.kind === 'write'
            ? await holds(g, e.path, { kind: 'file', text: e.after })
            : await hasSha256(g, e.path, e.sha256);
      if (!ok)
        throw new FixError(
          `${e.kind === 'registry' ? e.hive : e.path} does not hold the planned content after writing`,
          'this is a bug in h2k; run with --debug',
        );
    }
    await g.run('sync');
    await g.run('umount-all');
    return { launches: GuestfishSession.launches - before, commands: g.log.length };
  } finally {
    await g.close();
  }
}

/** Whether the guest path holds what the plan saw: files by content (read as inspection read them),
 *  symlinks as links, never through their target; undefined: nothing there. */
async function holds(g: GuestfishSession, path: string, expected: GuestFile | undefined): Promise<boolean> {
  if (!expected) return (await g.try('exists', path))?.trim() === 'false';
  if (expected.kind === 'symlink')
    return ((await g.try('readlink', path)) ?? '').replace(/\n$/, '') === expected.target;
  const text = await g.readFile(path);
  return text !== undefined && sha256(text) === sha256(expected.text);
}

/** Whether a (binary) guest file has this sha256, as libguestfs computes it in the appliance. */
async function hasSha256(g: GuestfishSession, path: string, sha: string): Promise<boolean> {
  return (await g.try('checksum', 'sha256', path))?.trim() === sha;
}

/** A command's argument as one shell word, bare when it needs no quotes (readable in --debug). */
function word(s: string): string {
  return /^[A-Za-z0-9_./=:-]+$/.test(s) ? s : shellQuote(s);
}

function describe(e: GuestEdit): string {
  switch (e.kind) {
    case 'write':
      return `write ${e.path}`;
    case 'delete':
      return `delete ${e.path}`;
    case 'symlink':
      return `link ${e.path} -> ${e.target}`;
    case 'copy':
      return `copy ${e.from} to ${e.path}`;
    case 'upload':
      return `upload ${e.from} to ${e.path}`;
    case 'registry':
      return `merge ${e.reason} into ${e.hive}`;
    case 'run':
      return `run ${e.command.join(' ')}`;
    case 'trim':
      return 'fstrim';
  }
}
