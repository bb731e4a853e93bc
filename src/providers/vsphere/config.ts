// The vsphere source block: the JSON Schema of its arguments, its decoding (credentials never in
// the URL; the password always sensitive), and the vm blocks that use it (exactly one selector).
import { resolve } from 'node:path';
import type { SourceConfig } from '../../schema/config.js';
import type { SourceSchema } from '../../schema/source-types.js';
import { Sensitive, deepUnmark } from '../../schema/values.js';

export interface VsphereSourceConfig extends SourceConfig {
  type: 'vsphere';
  url: string;
  username?: string;
  password?: Sensitive;
  insecure: boolean;
  ca_file?: string;
  thumbprint?: string;
  datacenter?: string;
}

export function asVsphere(s: SourceConfig): VsphereSourceConfig {
  if (s.type !== 'vsphere') throw new Error(`${s.address} is a ${s.type} source, not a vsphere one`);
  return s as VsphereSourceConfig;
}

const SELECTORS = ['path', 'name', 'uuid', 'discover'];

export const vsphereSchema: SourceSchema = {
  type: 'vsphere',
  block: {
    type: 'object',
    additionalProperties: false,
    required: ['url'],
    properties: {
      url: {
        type: 'string',
        pattern: '^https?://[^\\s/@]+',
        description: 'an https:// URL of vCenter or ESXi, without credentials',
      },
      username: { type: 'string' },
      password: { type: 'string', description: 'always treated as sensitive' },
      insecure: { type: 'boolean', default: false },
      ca_file: { type: 'string' },
      thumbprint: {
        type: 'string',
        pattern: '^([0-9A-Fa-f]{2}:){19,31}[0-9A-Fa-f]{2}$',
        description: 'a SHA-1 or SHA-256 certificate thumbprint, colon-separated hex',
      },
      datacenter: { type: 'string' },
    },
  },
  decode({ address, values, attrs, dir, diags }): VsphereSourceConfig | undefined {
    const str = (k: string) => {
      const [u] = deepUnmark(values[k] ?? null);
      return typeof u === 'string' ? u : undefined;
    };
    const url = str('url')!;
    if (/^[a-z]+:\/\/[^/]*@/i.test(url)) {
      const detail =
        'The url must not contain a user name or password; set username and password (a sensitive variable) instead.';
      diags.error('Credentials in URL', detail, attrs.find((x) => x.name === 'url')!.expr.span);
      return undefined;
    }
    const pw = values.password;
    const password = pw === undefined ? undefined : pw instanceof Sensitive ? pw : new Sensitive(pw);
    const optional = (k: string, v: string | undefined) => (v !== undefined ? { [k]: v } : {});
    const caFile = str('ca_file');
    return {
      type: 'vsphere',
      address,
      url,
      ...optional('username', str('username')),
      ...(password ? { password } : {}),
      insecure: (values.insecure as boolean | undefined) ?? false,
      ...optional('ca_file', caFile !== undefined ? resolve(dir, caFile) : undefined),
      ...optional('thumbprint', str('thumbprint')),
      ...optional('datacenter', str('datacenter')),
    };
  },
  checkVm({ address, values, nameSpan, position, header, diags }) {
    const selectors = SELECTORS.filter((k) => k in values).sort((a, b) => position(a) - position(b));
    if (selectors.length !== 1) {
      const detail = `A vm from a vSphere source needs exactly one of "path", "name", "uuid" or "discover".`;
      const summary = selectors.length ? 'Conflicting VM selectors' : 'Missing VM selector';
      diags.error(summary, detail, selectors.length ? nameSpan(selectors[1]) : header);
      return false;
    }
    if (selectors[0] === 'discover' && address.includes('[')) {
      const detail = '"discover" makes one instance per matching VM already; it cannot be combined with for_each.';
      diags.error('Conflicting VM selectors', detail, nameSpan('discover'));
      return false;
    }
    if ('disks' in values) {
      const detail = `"disks" belongs to local sources; a vSphere VM's disks come from its inventory.`;
      diags.error('Unsupported argument', detail, nameSpan('disks'));
      return false;
    }
    return { selector: selectors[0] };
  },
};
