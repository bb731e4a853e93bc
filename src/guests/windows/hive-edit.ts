// FIX's registry edits: the hive file is checked against the plan's sha256, merged by hivexregedit
// (hivex: the library every offline registry editor, virt-v2v's included, writes hives with) on a
// host copy, put back, and read back key by key against the plan's after-text.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { GuestEdit } from '../../model/plan.js';
import type { GuestfishSession } from '../../tools/guestfish.js';
import { requireTool } from '../../tools/known-tools.js';
import { UserError } from '../../util/errors.js';
import { sha256 } from '../../util/hash.js';
import { Hive } from './hive.js';
import { type RegSection, regText } from './registry.js';

type RegistryEdit = Extract<GuestEdit, { kind: 'registry' }>;

export async function applyRegistryEdit(g: GuestfishSession, e: RegistryEdit): Promise<void> {
  const tool = requireTool('hivexregedit');
  const bytes = await g.readBytes(e.hive);
  if (!bytes || sha256(bytes) !== e.sha256)
    throw new UserError(
      `${e.hive} in the guest is not what the plan saw`,
      'the source changed since planning: run h2k plan again',
    );
  const dir = mkdtempSync(join(tmpdir(), 'h2k-hive-'));
  try {
    const hive = join(dir, 'hive');
    writeFileSync(hive, bytes);
    writeFileSync(join(dir, 'merge.reg'), e.merge);
    const r = await execa(tool, ['--merge', '--prefix', e.prefix, hive, join(dir, 'merge.reg')], { reject: false });
    if (r.exitCode !== 0)
      throw new Error(`hivexregedit could not merge into ${e.hive}: ${r.stderr.trim().split('\n')[0]}`);
    await g.run('upload', hive, e.hive);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether the hive now holds exactly the planned keys and values. */
export async function verifyRegistryEdit(g: GuestfishSession, e: RegistryEdit): Promise<boolean> {
  const bytes = await g.readBytes(e.hive);
  if (!bytes) return false;
  const hive = new Hive(bytes);
  const sections: RegSection[] = [];
  for (const m of e.after.matchAll(/^\[(.+)\]$/gm)) {
    const path = m[1].slice(e.prefix.length + 1);
    const key = hive.key(path);
    if (!key) return false;
    sections.push({ path: key.path, values: key.values });
  }
  return regText(e.prefix, sections, { comments: true }) === e.after;
}
