// The vsphere source block as the schema decoded it.
import type { SourceConfig, VsphereSourceConfig } from '../../schema/config.js';

export type { VsphereSourceConfig };

export function asVsphere(s: SourceConfig): VsphereSourceConfig {
  if (s.type !== 'vsphere') throw new Error(`${s.address} is a ${s.type} source, not a vsphere one`);
  return s;
}
