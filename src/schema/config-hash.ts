// A hash of the evaluated configuration that is the same on every machine: no absolute paths, and
// secrets enter as "(sensitive)" (a changed password is not a changed plan).
import { isAbsolute, relative } from 'node:path';
import { hashOf } from '../util/hash.js';
import type { Config, SourceConfig } from './config.js';

/** A source block with the paths under the configuration made relative to it (sources resolve
 *  relative paths against the configuration directory when they decode). */
function portable(source: SourceConfig, dir: string): Record<string, unknown> {
  const under = (v: unknown) => typeof v === 'string' && isAbsolute(v) && (v === dir || v.startsWith(`${dir}/`));
  return Object.fromEntries(
    Object.entries(source).map(([k, v]) => [k, under(v) ? relative(dir, v as string) || '.' : v]),
  );
}

export function configHash(config: Config): string {
  const hashed = {
    files: config.files.map((f) => relative(config.dir, f)),
    variables: config.variables,
    sources: Object.fromEntries(Object.entries(config.sources).map(([k, s]) => [k, portable(s, config.dir)])),
    policies: config.policies,
    // Where a selector is written is not what it means: moving a line must not make plans stale.
    vms: config.vms.map(({ at: _at, ...vm }) => vm),
  };
  return `sha256:${hashOf(hashed)}`;
}
