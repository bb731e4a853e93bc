// A hash of the evaluated configuration that is the same on every machine: no absolute paths, and
// secrets enter as "(sensitive)" (a changed password is not a changed plan).
import { relative } from 'node:path';
import { hashOf } from '../util/hash.js';
import type { Config } from './config.js';

export function configHash(config: Config): string {
  const portable = {
    files: config.files.map((f) => relative(config.dir, f)),
    variables: config.variables,
    sources: Object.fromEntries(
      Object.entries(config.sources).map(([k, s]) => [
        k,
        s.type === 'local' ? { ...s, directory: relative(config.dir, s.directory) || '.' } : s,
      ]),
    ),
    policies: config.policies,
    // Where a selector is written is not what it means: moving a line must not make plans stale.
    vms: config.vms.map(({ at: _at, ...vm }) => vm),
  };
  return `sha256:${hashOf(portable)}`;
}
