// The esxi source block: a standalone ESXi host reached over SSH (no vCenter). The host key is
// pinned by its SHA256 fingerprint as `ssh-keygen -l` prints it; without a pin, `insecure = true`
// must say so. Password and key passphrase are always sensitive.
import { resolve } from 'node:path';
import type { SourceConfig } from '../../schema/config.js';
import type { SourceSchema } from '../../schema/source-types.js';
import type { HclNumber } from '../../schema/number.js';
import { Sensitive, deepUnmark } from '../../schema/values.js';

export interface EsxiSourceConfig extends SourceConfig {
  type: 'esxi';
  host: string;
  port: number;
  username: string;
  password?: Sensitive;
  private_key_file?: string;
  host_key?: string;
  insecure: boolean;
  /** Where the datastores are mounted on the host. */
  datastore_root: string;
}

export function asEsxi(s: SourceConfig): EsxiSourceConfig {
  if (s.type !== 'esxi') throw new Error(`${s.address} is a ${s.type} source, not an esxi one`);
  return s as EsxiSourceConfig;
}

const SELECTORS = ['name', 'path'];
const FOREIGN = ['disks', 'uuid', 'discover'];

export const esxiSchema: SourceSchema = {
  type: 'esxi',
  block: {
    type: 'object',
    additionalProperties: false,
    required: ['host', 'username'],
    properties: {
      host: { type: 'string', minLength: 1, description: 'the ESXi host name or address' },
      port: { type: 'integer', minimum: 1, maximum: 65535, default: 22 },
      username: { type: 'string', minLength: 1 },
      password: { type: 'string', description: 'always treated as sensitive' },
      private_key_file: {
        type: 'string',
        description: 'an unencrypted OpenSSH private key (relative to the configuration)',
      },
      host_key: {
        type: 'string',
        pattern: '^SHA256:[A-Za-z0-9+/]{43}$',
        description: 'the host key fingerprint as ssh-keygen -l prints it (SHA256:…)',
      },
      insecure: { type: 'boolean', default: false, description: 'accept any host key (no host_key pin)' },
      datastore_root: { type: 'string', default: '/vmfs/volumes', pattern: '^/' },
    },
  },
  decode({ address, values, attrs, dir, diags }): EsxiSourceConfig | undefined {
    const str = (k: string) => {
      const [u] = deepUnmark(values[k] ?? null);
      return typeof u === 'string' ? u : undefined;
    };
    // The block's header is not ours to point at; `host` is required, so it is there.
    const at = attrs.find((a) => a.name === 'host')!.expr.span;
    const insecure = (values.insecure as boolean | undefined) ?? false;
    const hostKey = str('host_key');
    if (!hostKey && !insecure) {
      const detail =
        'Pin the host key with host_key = "SHA256:…" (ssh-keygen -lf on the host\'s key, or from the ' +
        "first connection's error), or set insecure = true.";
      diags.error('Unpinned host key', detail, at);
      return undefined;
    }
    const keyFile = str('private_key_file');
    if (values.password === undefined && keyFile === undefined) {
      const detail = 'Set password (a sensitive variable) or private_key_file.';
      diags.error('Missing credentials', detail, at);
      return undefined;
    }
    const pw = values.password;
    const password = pw === undefined ? undefined : pw instanceof Sensitive ? pw : new Sensitive(pw);
    return {
      type: 'esxi',
      address,
      host: str('host')!,
      port: (values.port as HclNumber | undefined)?.toNumber() ?? 22,
      username: str('username')!,
      ...(password ? { password } : {}),
      ...(keyFile !== undefined ? { private_key_file: resolve(dir, keyFile) } : {}),
      ...(hostKey ? { host_key: hostKey } : {}),
      insecure,
      datastore_root: (str('datastore_root') ?? '/vmfs/volumes').replace(/\/+$/, ''),
    };
  },
  checkVm({ values, nameSpan, position, header, diags }) {
    const foreign = FOREIGN.filter((k) => k in values).sort((a, b) => position(a) - position(b));
    if (foreign.length) {
      const detail =
        `"${foreign[0]}" does not apply to an esxi source: a VM is picked by "name" or ` +
        '"path" ("[datastore] dir/vm.vmx").';
      diags.error('Unsupported argument', detail, nameSpan(foreign[0]));
      return false;
    }
    const selectors = SELECTORS.filter((k) => k in values).sort((a, b) => position(a) - position(b));
    if (selectors.length !== 1) {
      const detail = 'A vm from an esxi source needs exactly one of "name" or "path".';
      diags.error(
        selectors.length ? 'Conflicting VM selectors' : 'Missing VM selector',
        detail,
        selectors.length ? nameSpan(selectors[1]) : header,
      );
      return false;
    }
    return { selector: selectors[0] };
  },
};
