// The local source block as the schema decoded it.
import type { LocalSourceConfig, SourceConfig } from '../../schema/config.js';

export type { LocalSourceConfig };

export function asLocal(s: SourceConfig): LocalSourceConfig {
  if (s.type !== 'local') throw new Error(`${s.address} is a ${s.type} source, not a local one`);
  return s;
}
