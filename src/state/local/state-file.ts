// The state file, as a lowdb database whose adapter writes atomically (temp file, fsync, rename,
// fsync of the directory) and keeps the previous version as .backup, so a crash mid-write leaves the
// old state or the new one, never half (lowdb's own file adapter renames without an fsync).
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Adapter, Low } from 'lowdb';
import type { StateData } from '../../model/state.js';
import { UserError } from '../../util/errors.js';
import { writeFileAtomic } from '../../util/files.js';
import { stateDir } from './paths.js';

export function statePath(configDir: string): string {
  return join(stateDir(configDir), 'state.json');
}

/** Where the plan with this hash is kept once applied (.h2k/plans/<hash>.json). */
export function keptPlanPath(configDir: string, hash: string): string {
  if (!/^[0-9a-f]{64}$/.test(hash)) throw new Error(`not a plan hash: ${hash}`);
  return join(stateDir(configDir), 'plans', `${hash}.json`);
}

export function readStateFile(path: string): StateData | undefined {
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text) as StateData;
  } catch {
    throw new UserError(
      `the state file ${path} is not valid JSON (edited by hand, or written by something else)`,
      `h2k keeps the version before its last write in ${path}.backup: compare them, and copy the backup over it ` +
        'to go back one write',
    );
  }
}

function writeStateFile(path: string, data: StateData): void {
  if (existsSync(path)) copyFileSync(path, `${path}.backup`);
  writeFileAtomic(path, `${JSON.stringify(data, null, 2)}\n`);
}

/** null: no state yet. */
class StateFileAdapter implements Adapter<StateData | null> {
  constructor(private readonly path: string) {}

  async read(): Promise<StateData | null> {
    return readStateFile(this.path) ?? null;
  }

  async write(data: StateData | null): Promise<void> {
    if (data) writeStateFile(this.path, data);
  }
}

export function stateDb(path: string): Low<StateData | null> {
  return new Low(new StateFileAdapter(path), null);
}
