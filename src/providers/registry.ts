// The source types h2k reads, by the type label of their source blocks. A new type is a folder
// under src/providers/ implementing SourceDriver and one entry here (its facts go in
// src/model/source-facts.ts).
import type { SourceDriver } from './driver.js';
import { esxi } from './esxi/index.js';
import { local } from './local/index.js';
import { ova } from './ova/index.js';
import { vsphere } from './vsphere/index.js';

const DRIVERS: Record<string, SourceDriver> = { esxi, local, ova, vsphere };

/** The configuration language's view of every source type. */
export const SOURCE_SCHEMAS = Object.values(DRIVERS).map((d) => d.schema);

export function sourceDriver(type: string): SourceDriver {
  const d = DRIVERS[type];
  if (!d) throw new Error(`no source driver for type "${type}"`);
  return d;
}
