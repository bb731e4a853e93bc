// The ova source block: one OVF package (an .ova archive, or an .ovf with its files beside it),
// and the vm blocks that use it (`name` picks a VirtualSystem when the package holds several).
import { resolve } from 'node:path';
import type { SourceConfig } from '../../schema/config.js';
import type { SourceSchema } from '../../schema/source-types.js';

export interface OvaSourceConfig extends SourceConfig {
  type: 'ova';
  /** Absolute. */
  path: string;
}

export function asOva(s: SourceConfig): OvaSourceConfig {
  if (s.type !== 'ova') throw new Error(`${s.address} is a ${s.type} source, not an ova one`);
  return s as OvaSourceConfig;
}

const FOREIGN = ['disks', 'path', 'uuid', 'discover'];

export const ovaSchema: SourceSchema = {
  type: 'ova',
  block: {
    type: 'object',
    additionalProperties: false,
    required: ['path'],
    properties: {
      path: {
        type: 'string',
        minLength: 1,
        description: 'An .ova archive, or an .ovf descriptor with its files beside it (relative to the configuration).',
      },
    },
  },
  decode({ address, values, dir }): OvaSourceConfig {
    return { type: 'ova', address, path: resolve(dir, values.path as string) };
  },
  checkVm({ values, nameSpan, position, diags }) {
    const foreign = FOREIGN.filter((k) => k in values).sort((a, b) => position(a) - position(b));
    if (foreign.length) {
      const detail =
        `"${foreign[0]}" does not apply to an ova source: its VMs and disks come from the OVF ` +
        'descriptor; "name" picks a VirtualSystem.';
      diags.error('Unsupported argument', detail, nameSpan(foreign[0]));
      return false;
    }
    return 'name' in values ? { selector: 'name' } : {};
  },
};
