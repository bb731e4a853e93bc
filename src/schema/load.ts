// Loads a configuration directory: parse every *.h2k.hcl file, check its structure, resolve input
// variables, evaluate objects in dependency order, validate each block body against the JSON
// Schema, and produce a typed Config, collecting every diagnostic instead of stopping at the first.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Attribute, Block, Body, Expr } from './ast.js';
import type { Config, NicConfig, SourceConfig, VmConfig } from './config.js';
import { CONFIG_SCHEMA, type PolicySettings, policyDefaults } from './config-schema.js';
import { type Diagnostic, DiagnosticError, Diagnostics } from './diagnostics.js';
import { Evaluator, REFERENCE_ROOTS, type Scope, references, undeclared } from './evaluate.js';
import { type DeclaredVariable, type VarInput, evaluateConstant, resolveInputs } from './inputs.js';
import { parseFile } from './parser.js';
import { suggest } from '../util/did-you-mean.js';
import { SourceFile, type Span, toRange } from './source-file.js';
import { convert, parseType, typeString } from './types.js';
import { BlockRef, type ObjectValue, Sensitive, type Value, deepUnmark, isObject, typeName } from './values.js';

export const CONFIG_SUFFIX = '.h2k.hcl';

export interface LoadOptions {
  dir: string;
  inputs?: VarInput[];
  env?: Record<string, string | undefined>;
}

export interface LoadResult {
  config?: Config;
  diagnostics: Diagnostic[];
  /** Loaded files by name, for rendering source snippets. */
  files: Map<string, SourceFile>;
}

const BLOCK_LABELS: Record<string, string[]> = {
  variable: ['name'],
  locals: [],
  source: ['type', 'name'],
  policy: ['name'],
  vm: ['name'],
};
const SOURCE_TYPES = ['local', 'vsphere'];
const VARIABLE_ATTRS = ['type', 'default', 'description', 'sensitive'];
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** An evaluable object in the dependency graph: local.x, source.t.n, policy.n or vm.n. */
interface GraphNode {
  address: string;
  span: Span;
  attrs: Attribute[];
  block?: Block;
}

export function loadConfig(opts: LoadOptions): LoadResult {
  const dir = resolve(opts.dir);
  const diags = new Diagnostics();
  const files = new Map<string, SourceFile>();
  const done = (config?: Config): LoadResult => ({
    config: diags.hasErrors ? undefined : config,
    diagnostics: diags.sorted(),
    files,
  });

  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    diags.error('Configuration directory not found', `${opts.dir} is not a directory.`);
    return done();
  }
  const names = readdirSync(dir)
    .filter((f) => f.endsWith(CONFIG_SUFFIX))
    .sort();
  if (names.length === 0) {
    diags.error('No configuration files', `No *${CONFIG_SUFFIX} files were found in ${opts.dir}.`);
    return done();
  }
  const bodies: Body[] = [];
  for (const name of names) {
    const file = new SourceFile(join(opts.dir, name), readFileSync(join(dir, name), 'utf8'));
    files.set(file.filename, file);
    try {
      bodies.push(parseFile(file));
    } catch (err) {
      if (!(err instanceof DiagnosticError)) throw err;
      diags.error(err.summary, err.detail, err.span);
    }
  }

  // ---- structure: block types, labels, duplicates --------------------------------------------
  const variables = new Map<string, DeclaredVariable>();
  const nodes = new Map<string, GraphNode>();
  const vmBlocks: Block[] = [];
  const firstSeen = new Map<string, Span>();
  const where = (s: Span) => {
    const r = toRange(s);
    return `${r.filename}:${r.start.line}:${r.start.column}`;
  };
  const claim = (key: string, span: Span, summary: string, detail: (at: string) => string): boolean => {
    const prev = firstSeen.get(key);
    if (prev) {
      diags.error(summary, detail(where(prev)), span);
      return false;
    }
    firstSeen.set(key, span);
    return true;
  };

  for (const body of bodies) {
    for (const attr of body.attributes)
      diags.error(
        'Unsupported argument',
        `An argument named "${attr.name}" is not expected here; top-level content must be blocks.`,
        attr.nameSpan,
      );
    for (const block of body.blocks) {
      const labels = BLOCK_LABELS[block.type];
      if (!labels) {
        diags.error(
          'Unsupported block type',
          `Blocks of type "${block.type}" are not expected here.${suggest(block.type, Object.keys(BLOCK_LABELS))}`,
          block.typeSpan,
        );
        continue;
      }
      if (block.labels.length < labels.length) {
        diags.error(
          `Missing name for ${block.type}`,
          `All ${block.type} blocks must have ${labels.length} label(s): ${labels.join(', ')}.`,
          block.headerSpan,
        );
        continue;
      }
      if (block.labels.length > labels.length) {
        diags.error(
          `Extraneous label for ${block.type}`,
          `Only ${labels.length} label(s) are expected for ${block.type} blocks.`,
          block.labels[labels.length].span,
        );
        continue;
      }
      const badLabel = block.labels.find((l) => !NAME_RE.test(l.value));
      if (badLabel) {
        diags.error(
          'Invalid name',
          `A name must start with a letter or underscore and may contain only letters, digits, underscores, and dashes; ${JSON.stringify(badLabel.value)} does not.`,
          badLabel.span,
        );
        continue;
      }
      for (const nested of block.body.blocks)
        diags.error(
          'Unsupported block type',
          `Blocks of type "${nested.type}" are not expected inside a ${block.type} block.`,
          nested.typeSpan,
        );
      const seenAttrs = new Map<string, Span>();
      const attrs = block.body.attributes.filter((a) => {
        const prev = seenAttrs.get(a.name);
        if (prev) {
          diags.error(
            'Attribute redefined',
            `The argument "${a.name}" was already set at ${where(prev)}. Each argument may be set only once.`,
            a.nameSpan,
          );
          return false;
        }
        seenAttrs.set(a.name, a.nameSpan);
        return true;
      });

      const [l0, l1] = block.labels.map((l) => l.value);
      switch (block.type) {
        case 'variable': {
          if (
            !claim(
              `var.${l0}`,
              block.headerSpan,
              'Duplicate variable declaration',
              (at) =>
                `A variable named "${l0}" was already declared at ${at}. Variable names must be unique within a configuration.`,
            )
          )
            break;
          const v = declareVariable(l0, block, attrs, diags);
          if (v) variables.set(l0, v);
          break;
        }
        case 'locals':
          for (const a of attrs) {
            if (
              !claim(
                `local.${a.name}`,
                a.nameSpan,
                'Duplicate local value definition',
                (at) =>
                  `A local value named "${a.name}" was already defined at ${at}. Local value names must be unique within a configuration.`,
              )
            )
              continue;
            nodes.set(`local.${a.name}`, { address: `local.${a.name}`, span: a.nameSpan, attrs: [a] });
          }
          break;
        case 'source':
          if (!SOURCE_TYPES.includes(l0)) {
            diags.error(
              'Unknown source type',
              `There is no source type "${l0}"; the source types are ${SOURCE_TYPES.map((t) => `"${t}"`).join(' and ')}.`,
              block.labels[0].span,
            );
            break;
          }
          if (
            !claim(
              `source.${l0}.${l1}`,
              block.headerSpan,
              'Duplicate source',
              (at) => `A source "${l0}" "${l1}" was already declared at ${at}.`,
            )
          )
            break;
          nodes.set(`source.${l0}.${l1}`, { address: `source.${l0}.${l1}`, span: block.headerSpan, attrs, block });
          break;
        case 'policy':
          if (
            !claim(
              `policy.${l0}`,
              block.headerSpan,
              'Duplicate policy',
              (at) => `A policy named "${l0}" was already declared at ${at}.`,
            )
          )
            break;
          nodes.set(`policy.${l0}`, { address: `policy.${l0}`, span: block.headerSpan, attrs, block });
          break;
        case 'vm':
          if (
            !claim(
              `vm.${l0}`,
              block.headerSpan,
              'Duplicate vm',
              (at) =>
                `A vm named "${l0}" was already declared at ${at}. VM names must be unique within a configuration.`,
            )
          )
            break;
          vmBlocks.push({ ...block, body: { ...block.body, attributes: attrs } });
          break;
      }
    }
  }

  const inputValues = resolveInputs(variables, opts.inputs ?? [], opts.env ?? process.env, diags);

  // ---- references and dependency order -------------------------------------------------------
  const declaredRef = (path: string[]): boolean => {
    switch (path[0]) {
      case 'var':
        return variables.has(path[1]);
      case 'local':
      case 'policy':
        return nodes.has(path.join('.'));
      case 'source':
        return nodes.has(path.join('.'));
      default:
        return false;
    }
  };
  const failed = new Set<string>();
  const deps = new Map<string, string[]>();
  const checkRefs = (owner: string, expr: Expr, eachAllowed: boolean): string[] => {
    const out: string[] = [];
    for (const ref of references(expr)) {
      const root = ref.path[0];
      if (!(root in REFERENCE_ROOTS)) {
        diags.error(
          'Invalid reference',
          `A reference must start with var., local., source., policy. or each.; "${ref.path.join('.')}" does not. If you meant a string, put it in quotes.`,
          ref.span,
        );
        failed.add(owner);
        continue;
      }
      if (ref.path.length < REFERENCE_ROOTS[root]) {
        diags.error(
          'Invalid reference',
          `A reference to "${root}" must name what it refers to, like ${root === 'source' ? 'source.local.NAME' : `${root}.NAME`}.`,
          ref.span,
        );
        failed.add(owner);
        continue;
      }
      if (root === 'each') {
        if (!eachAllowed) {
          diags.error(
            'Reference to "each" in context without for_each',
            'The "each" object can be used only in a vm block that has for_each set.',
            ref.span,
          );
          failed.add(owner);
        }
        continue;
      }
      if (!declaredRef(ref.path)) {
        const e = undeclared(ref.path, ref.span);
        diags.error(e.summary, e.detail, e.span);
        failed.add(owner);
        continue;
      }
      if (root !== 'var') out.push(ref.path.join('.'));
    }
    return out;
  };
  for (const node of nodes.values())
    deps.set(
      node.address,
      node.attrs.flatMap((a) => checkRefs(node.address, a.expr, false)),
    );
  const order = topologicalOrder(nodes, deps, diags, failed);

  // ---- evaluation --------------------------------------------------------------------------
  const scope: Scope = {
    var: inputValues,
    local: {},
    source: {},
    policy: {},
    fn: { baseDir: dir, env: opts.env ?? process.env },
  };
  for (const v of variables.keys()) if (!(v in inputValues)) scope.var[v] = null; // already diagnosed
  const policies: Record<string, PolicySettings> = {};
  const sources: Record<string, SourceConfig> = {};
  const validators = compileValidators();

  for (const address of order) {
    const node = nodes.get(address)!;
    if (failed.has(address) || (deps.get(address) ?? []).some((d) => failed.has(d))) {
      failed.add(address);
      continue;
    }
    const values = evaluateAttrs(node.attrs, new Evaluator(scope), diags);
    if (!values) {
      failed.add(address);
      continue;
    }
    const parts = address.split('.');
    if (parts[0] === 'local') {
      scope.local[parts[1]] = values[parts[1]];
      continue;
    }
    if (parts[0] === 'source') {
      const src = decodeSource(parts[1] as 'local' | 'vsphere', address, node, values, validators, diags, dir);
      if (!src) {
        failed.add(address);
        continue;
      }
      sources[address] = src;
      (scope.source[parts[1]] ??= {})[parts[2]] = new BlockRef(address, sourceAttrs(src));
      continue;
    }
    const policy = decodePolicy(node, values, policies, validators, diags);
    if (!policy) {
      failed.add(address);
      continue;
    }
    policies[parts[1]] = policy;
    scope.policy[parts[1]] = new BlockRef(address, policy as unknown as ObjectValue);
  }

  const vms: VmConfig[] = [];
  for (const block of vmBlocks) {
    const name = block.labels[0].value;
    const forEach = block.body.attributes.find((a) => a.name === 'for_each');
    const attrs = block.body.attributes.filter((a) => a.name !== 'for_each');
    const nodeName = `vm.${name}`;
    for (const a of block.body.attributes) checkRefs(nodeName, a.expr, forEach !== undefined);
    if (failed.has(nodeName)) continue;
    const refs = block.body.attributes.flatMap((a) => references(a.expr)).map((r) => r.path.join('.'));
    if (refs.some((r) => failed.has(r))) continue; // the referenced object already has its diagnostic
    const evaluator = new Evaluator(scope);
    if (!forEach) {
      const values = evaluateAttrs(attrs, evaluator, diags);
      const vm = values && decodeVm(nodeName, block, values, policies, sources, validators, diags);
      if (vm) vms.push(vm);
      continue;
    }
    const instances = forEachInstances(forEach, evaluator, diags);
    for (const [key, value] of instances ?? []) {
      const instance = `vm.${name}[${JSON.stringify(key)}]`;
      const before = diags.items.length;
      const values = evaluateAttrs(attrs, new Evaluator({ ...scope, each: { key, value } }), diags);
      const vm = values && decodeVm(instance, block, values, policies, sources, validators, diags);
      if (vm) vms.push(vm);
      // One expression serves every instance: say which instance a problem belongs to.
      for (const d of diags.items.slice(before)) if (!d.detail.includes(instance)) d.detail += ` (in ${instance})`;
    }
  }
  vms.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));

  const varConfigs: Config['variables'] = {};
  for (const v of [...variables.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    varConfigs[v.name] = {
      type: typeString(v.type),
      value: scope.var[v.name],
      sensitive: v.sensitive,
      ...(v.description ? { description: v.description } : {}),
    };
  }
  return done({
    dir,
    files: [...files.keys()],
    variables: varConfigs,
    sources: sortKeys(sources),
    policies: sortKeys(policies),
    vms,
  });
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function declareVariable(
  name: string,
  block: Block,
  attrs: Attribute[],
  diags: Diagnostics,
): DeclaredVariable | undefined {
  let ok = true;
  const v: DeclaredVariable = { name, type: { kind: 'any' }, sensitive: false, headerSpan: block.headerSpan };
  for (const a of attrs) {
    try {
      switch (a.name) {
        case 'type':
          v.type = parseType(a.expr);
          break;
        case 'default':
          v.defaultValue = evaluateConstant(a.expr, 'A variable default');
          break;
        case 'description':
        case 'sensitive': {
          const value = evaluateConstant(a.expr, `A variable ${a.name}`);
          const want = a.name === 'description' ? 'string' : 'boolean';
          if (typeof value !== want)
            throw new DiagnosticError(
              'Incorrect attribute value type',
              `Inappropriate value for attribute "${a.name}": ${want === 'boolean' ? 'bool' : 'string'} required, got ${typeName(value)}.`,
              a.expr.span,
            );
          if (a.name === 'description') v.description = value as string;
          else v.sensitive = value as boolean;
          break;
        }
        default:
          throw new DiagnosticError(
            'Unsupported argument',
            `An argument named "${a.name}" is not expected here.${suggest(a.name, VARIABLE_ATTRS)}`,
            a.nameSpan,
          );
      }
    } catch (err) {
      if (!(err instanceof DiagnosticError)) throw err;
      diags.error(err.summary, err.detail, err.span);
      ok = false;
    }
  }
  if (ok && v.defaultValue !== undefined) {
    const r = convert(v.defaultValue, v.type);
    if ('error' in r) {
      diags.error(
        'Invalid default value for variable',
        `This default value is not compatible with the variable's type constraint: ${r.error}.`,
        attrs.find((a) => a.name === 'default')!.expr.span,
      );
      ok = false;
    }
  }
  return ok ? v : undefined;
}

function topologicalOrder(
  nodes: Map<string, GraphNode>,
  deps: Map<string, string[]>,
  diags: Diagnostics,
  failed: Set<string>,
): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): void => {
    const s = state.get(n);
    if (s === 'done') return;
    if (s === 'visiting') {
      const cycle = [...stack.slice(stack.indexOf(n)), n];
      diags.error(
        'Cycle in references',
        `These objects refer to each other in a loop: ${cycle.join(' → ')}. Break the loop by removing one of the references.`,
        nodes.get(n)!.span,
      );
      for (const c of cycle) failed.add(c);
      return;
    }
    state.set(n, 'visiting');
    stack.push(n);
    for (const d of [...new Set(deps.get(n) ?? [])].sort()) if (nodes.has(d)) visit(d);
    stack.pop();
    state.set(n, 'done');
    order.push(n);
  };
  for (const n of [...nodes.keys()].sort()) visit(n);
  return order;
}

function evaluateAttrs(attrs: Attribute[], ev: Evaluator, diags: Diagnostics): Record<string, Value> | undefined {
  const out: Record<string, Value> = {};
  let ok = true;
  for (const a of attrs) {
    try {
      out[a.name] = ev.evaluate(a.expr);
    } catch (err) {
      if (!(err instanceof DiagnosticError)) throw err;
      diags.error(err.summary, err.detail, err.span);
      ok = false;
    }
    // Like Terraform, an argument set to null counts as not set.
    if (a.name in out && deepUnmark(out[a.name])[0] === null) delete out[a.name];
  }
  return ok ? out : undefined;
}

function forEachInstances(attr: Attribute, ev: Evaluator, diags: Diagnostics): [string, Value][] | undefined {
  let raw: Value;
  try {
    raw = ev.evaluate(attr.expr);
  } catch (err) {
    if (!(err instanceof DiagnosticError)) throw err;
    diags.error(err.summary, err.detail, err.span);
    return undefined;
  }
  if (raw instanceof Sensitive) {
    diags.error(
      'Invalid for_each argument',
      'Sensitive values cannot be used as for_each arguments: the instance keys would show them in every plan.',
      attr.expr.span,
    );
    return undefined;
  }
  if (Array.isArray(raw)) {
    const keys = new Set<string>();
    for (const item of raw) {
      if (typeof item !== 'string') {
        diags.error(
          'Invalid for_each argument',
          `A for_each list must contain only strings (they become the instance keys); found ${typeName(item)}. Use a map to iterate over objects.`,
          attr.expr.span,
        );
        return undefined;
      }
      keys.add(item);
    }
    return [...keys].sort().map((k) => [k, k]);
  }
  if (isObject(raw))
    return Object.keys(raw)
      .sort()
      .map((k) => [k, raw[k]]);
  diags.error(
    'Invalid for_each argument',
    `The for_each argument must be a map or a list of strings, got ${typeName(raw)}.`,
    attr.expr.span,
  );
  return undefined;
}

// ---- schema validation ---------------------------------------------------------------------

type Validators = Record<'source_vsphere' | 'source_local' | 'policy' | 'vm', ValidateFunction>;

let cachedValidators: Validators | undefined;
function compileValidators(): Validators {
  if (cachedValidators) return cachedValidators;
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: false });
  ajv.addSchema(CONFIG_SCHEMA, 'config');
  const get = (d: string) => ajv.compile({ $ref: `config#/definitions/${d}` });
  cachedValidators = {
    source_vsphere: get('source_vsphere'),
    source_local: get('source_local'),
    policy: get('policy'),
    vm: get('vm'),
  };
  return cachedValidators;
}

/** Plain JSON for the validator: secrets unwrapped (types still checked), references as addresses. */
function plain(values: Record<string, Value>): Record<string, unknown> {
  const conv = (v: Value): unknown => {
    if (v instanceof BlockRef) return v.address;
    const [u] = deepUnmark(v);
    if (Array.isArray(u)) return u.map(conv);
    if (isObject(u)) return Object.fromEntries(Object.entries(u).map(([k, x]) => [k, conv(x)]));
    return u;
  };
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, conv(v)]));
}

function validateBody(
  validate: ValidateFunction,
  values: Record<string, Value>,
  attrs: Attribute[],
  headerSpan: Span,
  diags: Diagnostics,
): boolean {
  if (validate(plain(values))) return true;
  const byName = new Map(attrs.map((a) => [a.name, a]));
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'if' && e.keyword !== '$ref');
  for (const e of errors) reportSchemaError(e, byName, values, headerSpan, diags);
  return false;
}

function reportSchemaError(
  e: ErrorObject,
  attrs: Map<string, Attribute>,
  values: Record<string, Value>,
  headerSpan: Span,
  diags: Diagnostics,
): void {
  const segments = e.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const top = segments[0];
  const attr = top === undefined ? undefined : attrs.get(top);
  const span = attr?.expr.span ?? headerSpan;
  const label = `attribute "${top}"${
    segments.length > 1
      ? ` (at ${segments
          .slice(1)
          .map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s}`))
          .join('')})`
      : ''
  }`;
  const secret = top !== undefined && containsSecret(values[top]);
  const shown = (v: unknown) => (secret ? '(sensitive)' : JSON.stringify(v));
  switch (e.keyword) {
    case 'additionalProperties': {
      const name = (e.params as { additionalProperty: string }).additionalProperty;
      if (segments.length === 0) {
        const a = attrs.get(name);
        const known = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
        diags.error(
          'Unsupported argument',
          `An argument named "${name}" is not expected here.${suggest(name, known)}`,
          a?.nameSpan ?? headerSpan,
        );
      } else {
        const known = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
        diags.error('Unsupported argument', `The ${label} has no key "${name}".${suggest(name, known)}`, span);
      }
      return;
    }
    case 'required': {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      if (segments.length === 0)
        diags.error(
          'Missing required argument',
          `The argument "${missing}" is required, but no definition was found.`,
          headerSpan,
        );
      else diags.error('Missing required argument', `The ${label} needs "${missing}".`, span);
      return;
    }
    case 'type': {
      const want = (e.params as { type: string }).type;
      const words: Record<string, string> = {
        string: 'string',
        integer: 'whole number',
        number: 'number',
        boolean: 'bool',
        array: 'list',
        object: 'object',
      };
      diags.error(
        'Incorrect attribute value type',
        `Inappropriate value for ${label}: ${words[want] ?? want} required, got ${typeName(e.data as Value)}.`,
        span,
      );
      return;
    }
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ');
      diags.error('Invalid value', `The ${label} must be one of ${allowed}; got ${shown(e.data)}.`, span);
      return;
    }
    case 'pattern':
      diags.error(
        'Invalid value',
        `The ${label} must be ${(e.parentSchema as { description?: string }).description ?? `a string matching ${(e.params as { pattern: string }).pattern}`}; got ${shown(e.data)}.`,
        span,
      );
      return;
    case 'minimum':
    case 'maximum':
    case 'minItems':
    case 'minLength': {
      const limit = (e.params as { limit: number }).limit;
      const text: Record<string, string> = {
        minimum: `at least ${limit}`,
        maximum: `at most ${limit}`,
        minItems: `a list of at least ${limit} element(s)`,
        minLength: limit === 1 ? 'a non-empty string' : `at least ${limit} characters`,
      };
      diags.error('Invalid value', `The ${label} must be ${text[e.keyword]}; got ${shown(e.data)}.`, span);
      return;
    }
    default:
      diags.error('Invalid value', `The ${label} ${e.message ?? 'is invalid'}.`, span);
  }
}

function containsSecret(v: Value | undefined): boolean {
  return v !== undefined && deepUnmark(v)[1];
}

// ---- block decoders -------------------------------------------------------------------------

function refAddress(v: Value, kind: 'source' | 'policy', attr: Attribute, diags: Diagnostics): string | undefined {
  if (v instanceof BlockRef && v.address.startsWith(`${kind}.`)) return v.address;
  const example = kind === 'source' ? 'source.local.lab' : 'policy.linux';
  diags.error(
    'Invalid reference',
    `"${attr.name}" must be a reference to a ${kind} block, like ${example}; got ${v instanceof BlockRef ? v.address : typeName(v)}.`,
    attr.expr.span,
  );
  return undefined;
}

function decodeSource(
  type: 'local' | 'vsphere',
  address: string,
  node: GraphNode,
  values: Record<string, Value>,
  validators: Validators,
  diags: Diagnostics,
  dir: string,
): SourceConfig | undefined {
  if (!validateBody(validators[`source_${type}`], values, node.attrs, node.span, diags)) return undefined;
  if (type === 'local') {
    const directory = resolve(dir, (values.directory as string | undefined) ?? '.');
    return {
      type,
      address,
      directory,
      allow_absolute_paths: (values.allow_absolute_paths as boolean | undefined) ?? false,
    };
  }
  const str = (k: string) => {
    const [u] = deepUnmark(values[k] ?? null);
    return typeof u === 'string' ? u : undefined;
  };
  const url = str('url')!;
  if (/^[a-z]+:\/\/[^/]*@/i.test(url)) {
    const a = node.attrs.find((x) => x.name === 'url')!;
    diags.error(
      'Credentials in URL',
      'The url must not contain a user name or password; set username and password (a sensitive variable) instead.',
      a.expr.span,
    );
    return undefined;
  }
  const password =
    values.password === undefined
      ? undefined
      : values.password instanceof Sensitive
        ? values.password
        : new Sensitive(values.password);
  return {
    type,
    address,
    url,
    ...(str('username') !== undefined ? { username: str('username') } : {}),
    ...(password ? { password } : {}),
    insecure: (values.insecure as boolean | undefined) ?? false,
    ...(str('ca_file') !== undefined ? { ca_file: resolve(dir, str('ca_file')!) } : {}),
    ...(str('thumbprint') !== undefined ? { thumbprint: str('thumbprint') } : {}),
    ...(str('datacenter') !== undefined ? { datacenter: str('datacenter') } : {}),
  };
}

/** What `source.T.N.attr` can read: everything but the password, which stays a secret. */
function sourceAttrs(src: SourceConfig): ObjectValue {
  const out: ObjectValue = {};
  for (const [k, v] of Object.entries(src)) if (k !== 'address' && k !== 'type') out[k] = v as Value;
  return out;
}

function decodePolicy(
  node: GraphNode,
  values: Record<string, Value>,
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
  return { ...parent, ...(own as Partial<PolicySettings>) };
}

function decodeVm(
  address: string,
  block: Block,
  values: Record<string, Value>,
  policies: Record<string, PolicySettings>,
  sources: Record<string, SourceConfig>,
  validators: Validators,
  diags: Diagnostics,
): VmConfig | undefined {
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
  if (!validateBody(validators.vm, values, attrs, block.headerSpan, diags) || !ok) return undefined;
  const v = plain(values) as Record<string, unknown>;
  const source = sources[sourceAddr!];
  const selectors = ['path', 'name', 'uuid', 'discover']
    .filter((k) => k in v)
    .sort((a, b) => attrOf(a).span.start - attrOf(b).span.start);
  if (source.type === 'local') {
    if (!('disks' in v)) {
      diags.error(
        'Missing required argument',
        `A vm from a local source needs "disks": its disk files, boot disk first.`,
        block.headerSpan,
      );
      return undefined;
    }
    for (const s of selectors) {
      diags.error(
        'Unsupported argument',
        `"${s}" selects a VM in vSphere; a vm from a local source is defined by its disks.`,
        attrOf(s).nameSpan,
      );
      return undefined;
    }
  } else {
    if (selectors.length !== 1) {
      const span = selectors.length ? attrOf(selectors[1]).nameSpan : block.headerSpan;
      diags.error(
        selectors.length ? 'Conflicting VM selectors' : 'Missing VM selector',
        `A vm from a vSphere source needs exactly one of "path", "name", "uuid" or "discover".`,
        span,
      );
      return undefined;
    }
    if (selectors[0] === 'discover' && address.includes('[')) {
      diags.error(
        'Conflicting VM selectors',
        '"discover" makes one instance per matching VM already; it cannot be combined with for_each.',
        attrOf('discover').nameSpan,
      );
      return undefined;
    }
    if ('disks' in v) {
      diags.error(
        'Unsupported argument',
        `"disks" belongs to local sources; a vSphere VM's disks come from its inventory.`,
        attrOf('disks').nameSpan,
      );
      return undefined;
    }
  }
  const base = policyAddr ? policies[policyAddr.slice('policy.'.length)] : policyDefaults();
  const overrides = (v.overrides ?? {}) as Partial<PolicySettings>;
  const nics = v.nics as Partial<NicConfig>[] | undefined;
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
    ...(selectors.length ? { at: toRange(attrOf(selectors[0]).expr.span) } : {}),
    ...(v.cpus !== undefined ? { cpus: v.cpus as number } : {}),
    ...(v.memory !== undefined ? { memory: v.memory as number } : {}),
    ...(v.firmware ? { firmware: v.firmware as 'bios' | 'uefi' } : {}),
    ...(nics
      ? { nics: nics.map((n) => ({ model: 'virtio' as const, ...n, ...(n.mac ? { mac: n.mac.toLowerCase() } : {}) })) }
      : {}),
  };
}

/** " Did you mean "x"?" when a close candidate exists. */
