// The local source block: the JSON Schema of its arguments, its decoding, and the vm blocks that
// use it (a vm from local files is defined by its disks).
import { resolve } from 'node:path';
import type { SourceConfig } from '../../schema/config.js';
import type { SourceSchema } from '../../schema/source-types.js';

export interface LocalSourceConfig extends SourceConfig {
  type: 'local';
  /** Absolute. */
  directory: string;
  allow_absolute_paths: boolean;
}

export function asLocal(s: SourceConfig): LocalSourceConfig {
  if (s.type !== 'local') throw new Error(`${s.address} is a ${s.type} source, not a local one`);
  return s as LocalSourceConfig;
}

const VSPHERE_SELECTORS = ['path', 'name', 'uuid', 'discover'];

export const localSchema: SourceSchema = {
  type: 'local',
  block: {
    type: 'object',
    additionalProperties: false,
    properties: {
      directory: {
        type: 'string',
        default: '.',
        description: 'Base directory for relative disk paths (relative to the configuration).',
      },
      allow_absolute_paths: {
        type: 'boolean',
        default: false,
        description: 'Let VMDK descriptors name extents or parents by absolute path.',
      },
    },
  },
  decode({ address, values, dir }): LocalSourceConfig {
    return {
      type: 'local',
      address,
      directory: resolve(dir, (values.directory as string | undefined) ?? '.'),
      allow_absolute_paths: (values.allow_absolute_paths as boolean | undefined) ?? false,
    };
  },
  checkVm({ values, nameSpan, position, header, diags }) {
    if (!('disks' in values)) {
      const detail = `A vm from a local source needs "disks": its disk files, boot disk first.`;
      diags.error('Missing required argument', detail, header);
      return false;
    }
    const selectors = VSPHERE_SELECTORS.filter((k) => k in values).sort((a, b) => position(a) - position(b));
    if (selectors.length) {
      const detail = `"${selectors[0]}" selects a VM in vSphere; a vm from a local source is defined by its disks.`;
      diags.error('Unsupported argument', detail, nameSpan(selectors[0]));
      return false;
    }
    return {};
  },
};
