// Block values → typed configuration: sources through their type's SourceSchema, policies over
// their parent (or the defaults), vms with their policy, overrides and source-specific arguments.
import type { Attribute, Block } from '../ast.js';
import type { CheckKind, ServiceCheck } from '../../model/service-check.js';
import type { BackendConfig, NicConfig, SourceConfig, VmConfig } from '../config.js';
import { type PolicySettings, policyDefaults } from '../config-schema.js';
import type { Diagnostics } from '../diagnostics.js';
import { toRange } from '../source-file.js';
import type { SourceSchema } from '../source-types.js';
import { BlockRef, type ObjectValue, Sensitive, type Value, deepUnmark, fromPlain, typeName } from '../values.js';
import { type Validators, plain, validateBody } from './schema-errors.js';
import type { GraphNode } from './structure.js';

function refAddress(v: Value, kind: 'source' | 'policy', attr: Attribute, diags: Diagnostics): string | undefined {
  if (v instanceof BlockRef && v.address.startsWith(`${kind}.`)) return v.address;
  const example = kind === 'source' ? 'source.local.lab' : 'policy.linux';
  const got = v instanceof BlockRef ? v.address : typeName(v);
  const detail = `"${attr.name}" must be a reference to a ${kind} block, like ${example}; got ${got}.`;
  diags.error('Invalid reference', detail, attr.expr.span);
  return undefined;
}

export function decodeSource(
  type: SourceSchema,
  node: GraphNode,
  values: Record<string, Value>,
  ctx: { validators: Validators; diags: Diagnostics; dir: string },
): SourceConfig | undefined {
  if (!validateBody(ctx.validators.sources[type.type], values, node.attrs, node.span, ctx.diags)) return undefined;
  return type.decode({ address: node.address, values, attrs: node.attrs, dir: ctx.dir, diags: ctx.diags });
}

/** A password written in a connection string: `postgres://user:PASSWORD@` or `password=PASSWORD`. */
const CONN_PASSWORD = /^[a-z]+:\/\/[^/@:]*:[^/@]*@|(^|\s)password\s*=/i;

export function decodeBackend(
  node: GraphNode,
  values: Record<string, Value>,
  validators: Validators,
  diags: Diagnostics,
): BackendConfig | undefined {
  const type = node.address.slice('backend.'.length);
  if (!validateBody(validators.backends[type], values, node.attrs, node.span, diags)) return undefined;
  const [conn, sensitive] = deepUnmark(values.conn_str);
  if (!sensitive && CONN_PASSWORD.test(conn as string)) {
    const detail =
      'This connection string holds a password but is not sensitive, so it could be shown; pass it in a variable ' +
      'declared with sensitive = true (set it with H2K_VAR_<name> or a -var-file, not -var: argv is visible to ' +
      'every user of the host), or leave the password out and use PGPASSWORD or ~/.pgpass.';
    const at = node.attrs.find((a) => a.name === 'conn_str')!.expr.span;
    diags.error('Password in a non-sensitive connection string', detail, at, { secret: true });
    return undefined;
  }
  const [schema] = deepUnmark(values.schema_name ?? 'h2k');
  return { type: 'pg', conn_str: new Sensitive(conn as string), schema_name: schema as string };
}

/** What `source.T.N.attr` can read: everything but the password, which stays a secret. */
export function sourceAttrs(src: SourceConfig): ObjectValue {
  const out: ObjectValue = {};
  for (const [k, v] of Object.entries(src)) if (k !== 'address' && k !== 'type') out[k] = fromPlain(v);
  return out;
}

export function decodePolicy(
  node: GraphNode,
  values: Record<string, Value>,
  checkValues: Record<string, Value>[],
  done: Record<string, PolicySettings>,
  validators: Validators,
  diags: Diagnostics,
): PolicySettings | undefined {
  let parent = policyDefaults();
  if ('extends' in values) {
    const attr = node.attrs.find((a) => a.name === 'extends')!;
    const addr = refAddress(values.extends, 'policy', attr, diags);
    if (!addr) return undefined;
    parent = done[addr.slice('policy.'.length)];
  }
  if (!validateBody(validators.policy, values, node.attrs, node.span, diags)) return undefined;
  const own = plain(values);
  delete own.extends;
  // A policy's own check blocks replace what it extends, as its own arguments do.
  const blocks = node.checks ?? [];
  const checks = blocks.map((b, i) => decodeCheck(b, checkValues[i], validators, diags));
  if (checks.some((c) => c === undefined)) return undefined;
  if (blocks.length) own.checks = checks;
  const policy = { ...parent, ...(own as Partial<PolicySettings>) };
  const window = checkWindowProblem(policy);
  if (window) {
    const attr =
      node.attrs.find((a) => a.name === 'check_timeout') ?? node.attrs.find((a) => a.name === 'boot_timeout');
    diags.error('Invalid value', window, attr?.expr.span ?? node.span);
    return undefined;
  }
  return policy;
}

/** The checks run inside the boot test's time: a window as long as it would end as a boot timeout. */
function checkWindowProblem(p: PolicySettings): string | undefined {
  if (!p.checks.length || p.check_timeout < p.boot_timeout) return undefined;
  return (
    `check_timeout (${p.check_timeout} s) must be shorter than boot_timeout (${p.boot_timeout} s): ` +
    'the service checks run within the boot test.'
  );
}

function decodeCheck(
  block: Block,
  values: Record<string, Value>,
  validators: Validators,
  diags: Diagnostics,
): ServiceCheck | undefined {
  const kind = block.labels[0].value as CheckKind;
  if (!validateBody(validators.checks[kind], values, block.body.attributes, block.headerSpan, diags)) return undefined;
  const v = plain(values);
  return kind === 'http' ? ({ kind, expect_status: 200, ...v } as ServiceCheck) : ({ kind, ...v } as ServiceCheck);
}

export interface VmDecodeContext {
  policies: Record<string, PolicySettings>;
  sources: Record<string, SourceConfig>;
  sourceTypes: SourceSchema[];
  validators: Validators;
  diags: Diagnostics;
}

export function decodeVm(
  address: string,
  block: Block,
  values: Record<string, Value>,
  ctx: VmDecodeContext,
): VmConfig | undefined {
  const { diags } = ctx;
  const attrs = block.body.attributes;
  const attrOf = (n: string) => attrs.find((a) => a.name === n)!;
  let ok = true;
  let sourceAddr: string | undefined;
  let policyAddr: string | null = null;
  if ('source' in values) {
    sourceAddr = refAddress(values.source, 'source', attrOf('source'), diags);
    ok &&= sourceAddr !== undefined;
  }
  if ('policy' in values) {
    const p = refAddress(values.policy, 'policy', attrOf('policy'), diags);
    ok &&= p !== undefined;
    policyAddr = p ?? null;
  }
  if (!validateBody(ctx.validators.vm, values, attrs, block.headerSpan, diags) || !ok) return undefined;
  const v = plain(values) as Record<string, unknown>;
  const source = ctx.sources[sourceAddr!];
  const checked = ctx.sourceTypes
    .find((t) => t.type === source.type)!
    .checkVm({
      address,
      values: v,
      nameSpan: (a) => attrOf(a).nameSpan,
      position: (a) => attrOf(a).span.start,
      header: block.headerSpan,
      diags,
    });
  if (!checked) return undefined;
  const base = policyAddr ? ctx.policies[policyAddr.slice('policy.'.length)] : policyDefaults();
  const overrides = (v.overrides ?? {}) as Partial<PolicySettings>;
  const window = checkWindowProblem({ ...base, ...overrides });
  if (window) {
    diags.error('Invalid value', window, (attrs.find((a) => a.name === 'overrides') ?? attrOf('policy')).expr.span);
    return undefined;
  }
  const nics = v.nics as Partial<NicConfig>[] | undefined;
  const luksKeys = 'luks_keys' in values ? decodeLuksKeys(values.luks_keys, attrOf('luks_keys'), diags) : undefined;
  if (luksKeys === null) return undefined;
  return {
    address,
    source: sourceAddr!,
    policyAddress: policyAddr,
    policy: { ...base, ...overrides },
    ...(v.disks ? { disks: v.disks as string[] } : {}),
    ...(v.path ? { path: v.path as string } : {}),
    ...(v.name ? { name: v.name as string } : {}),
    ...(v.uuid ? { uuid: (v.uuid as string).toLowerCase() } : {}),
    ...(v.discover ? { discover: v.discover as VmConfig['discover'] } : {}),
    ...(checked.selector ? { at: toRange(attrOf(checked.selector).expr.span) } : {}),
    ...(v.cpus !== undefined ? { cpus: v.cpus as number } : {}),
    ...(v.memory !== undefined ? { memory: v.memory as number } : {}),
    ...(v.firmware ? { firmware: v.firmware as 'bios' | 'uefi' } : {}),
    ...(nics
      ? { nics: nics.map((n) => ({ model: 'virtio' as const, ...n, ...(n.mac ? { mac: n.mac.toLowerCase() } : {}) })) }
      : {}),
    ...(luksKeys ? { luks_keys: luksKeys } : {}),
  };
}

/** luks_keys: each passphrase must come from a sensitive value (a variable declared sensitive), or it
 *  would be shown wherever the configuration is (null after an error). */
function decodeLuksKeys(value: Value, attr: Attribute, diags: Diagnostics): Record<string, Sensitive> | null {
  const allSensitive = value instanceof Sensitive;
  const map = (allSensitive ? value.reveal() : value) as ObjectValue;
  const out: Record<string, Sensitive> = {};
  for (const [device, key] of Object.entries(map)) {
    if (!/^\/dev\/sd[a-z]+\d*$/.test(device)) {
      const detail =
        `"${device}" is not a device as the plan names it: the disks are /dev/sda, /dev/sdb, ... in the order ` +
        'of disks (like "/dev/sda2").';
      diags.error('Invalid device name', detail, attr.expr.span);
      return null;
    }
    const [text, sensitive] = deepUnmark(key);
    if (!allSensitive && !sensitive) {
      const detail =
        `The passphrase for ${device} is not sensitive, so it could be shown; pass it in a variable declared ` +
        'with sensitive = true, set with H2K_VAR_<name> or a -var-file (not -var: argv is visible to every user ' +
        'of the host).';
      diags.error('Passphrase not sensitive', detail, attr.expr.span, { secret: true });
      return null;
    }
    out[device] = new Sensitive(text as string);
  }
  return out;
}
