// Loads a configuration directory: parse every *.h2k.hcl file, check its structure, resolve input
// variables, evaluate objects in dependency order, validate each block body against the JSON
// Schema, and produce a typed Config, collecting every diagnostic instead of stopping at the first.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Body } from './ast.js';
import type { BackendConfig, Config, SourceConfig, VmConfig } from './config.js';
import type { PolicySettings } from './config-schema.js';
import { type Diagnostic, Diagnostics } from './diagnostics.js';
import { Evaluator, type Scope, references } from './evaluate.js';
import { type VarInput, resolveInputs } from './inputs.js';
import { decodeBackend, decodePolicy, decodeSource, decodeVm, sourceAttrs } from './load/decode.js';
import { evaluateAttrs, forEachInstances } from './load/evaluation.js';
import { checkReferences } from './load/references.js';
import { compileValidators } from './load/schema-errors.js';
import { JSON_BODY_SCHEMA, readStructure } from './load/structure.js';
import { parseJsonFile } from './json-syntax.js';
import { parseFile } from './parser.js';
import { SourceFile } from './source-file.js';
import type { SourceSchema } from './source-types.js';
import { typeString } from './types.js';
import { BlockRef, type ObjectValue, type Value, fromPlain } from './values.js';

export const CONFIG_SUFFIX = '.h2k.hcl';
/** HCL's JSON syntax, for generated configuration. */
export const JSON_CONFIG_SUFFIX = '.h2k.hcl.json';

export interface LoadOptions {
  dir: string;
  /** The source types the configuration may use (each source driver's schema). */
  sourceTypes: SourceSchema[];
  inputs?: VarInput[];
  env?: Record<string, string | undefined>;
}

export interface LoadResult {
  config?: Config;
  diagnostics: Diagnostic[];
  /** Loaded files by name, for rendering source snippets. */
  files: Map<string, SourceFile>;
}

/** Whether a directory's configuration has a top-level `backend` block: commands that only read or
 *  change state load the whole configuration (and need its variables) only then. */
export function declaresBackend(dir: string): boolean {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return false;
  return readdirSync(dir)
    .filter((f) => f.endsWith(CONFIG_SUFFIX) || f.endsWith(JSON_CONFIG_SUFFIX))
    .some((name) => {
      const file = new SourceFile(join(dir, name), readFileSync(join(dir, name), 'utf8'));
      const parsed = name.endsWith(JSON_CONFIG_SUFFIX) ? parseJsonFile(file, JSON_BODY_SCHEMA) : parseFile(file);
      return parsed.body.blocks.some((b) => b.type === 'backend');
    });
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
    .filter((f) => f.endsWith(CONFIG_SUFFIX) || f.endsWith(JSON_CONFIG_SUFFIX))
    .sort();
  if (names.length === 0) {
    diags.error(
      'No configuration files',
      `No *${CONFIG_SUFFIX} or *${JSON_CONFIG_SUFFIX} files were found in ${opts.dir}.`,
    );
    return done();
  }
  const bodies: Body[] = [];
  for (const name of names) {
    const file = new SourceFile(join(opts.dir, name), readFileSync(join(dir, name), 'utf8'));
    files.set(file.filename, file);
    const parsed = name.endsWith(JSON_CONFIG_SUFFIX) ? parseJsonFile(file, JSON_BODY_SCHEMA) : parseFile(file);
    for (const err of parsed.errors) diags.error(err.summary, err.detail, err.span);
    if (parsed.errors.length === 0) bodies.push(parsed.body);
  }

  const types = opts.sourceTypes.map((t) => t.type);
  const structure = readStructure(bodies, types, diags);
  const { variables, nodes, vmBlocks } = structure;
  const inputValues = resolveInputs(variables, opts.inputs ?? [], opts.env ?? process.env, diags);

  const { failed, deps, checkRefs, order } = checkReferences(structure, diags);

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
  const validators = compileValidators(opts.sourceTypes);
  let backend: BackendConfig | undefined;

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
      const type = opts.sourceTypes.find((t) => t.type === parts[1])!;
      const src = decodeSource(type, node, values, { validators, diags, dir });
      if (!src) {
        failed.add(address);
        continue;
      }
      sources[address] = src;
      (scope.source[parts[1]] ??= {})[parts[2]] = new BlockRef(address, sourceAttrs(src));
      continue;
    }
    if (parts[0] === 'backend') {
      backend = decodeBackend(node, values, validators, diags);
      if (!backend) failed.add(address);
      continue;
    }
    const checks = (node.checks ?? []).map((b) => evaluateAttrs(b.body.attributes, new Evaluator(scope), diags));
    if (checks.some((c) => c === undefined)) {
      failed.add(address);
      continue;
    }
    const policy = decodePolicy(node, values, checks as Record<string, Value>[], policies, validators, diags);
    if (!policy) {
      failed.add(address);
      continue;
    }
    policies[parts[1]] = policy;
    scope.policy[parts[1]] = new BlockRef(address, fromPlain(policy) as ObjectValue);
  }

  const vms: VmConfig[] = [];
  const vmContext = { policies, sources, sourceTypes: opts.sourceTypes, validators, diags };
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
      const vm = values && decodeVm(nodeName, block, values, vmContext);
      if (vm) vms.push(vm);
      continue;
    }
    const instances = forEachInstances(forEach, evaluator, diags);
    for (const [key, value] of instances ?? []) {
      const instance = `vm.${name}[${JSON.stringify(key)}]`;
      const before = diags.items.length;
      const values = evaluateAttrs(attrs, new Evaluator({ ...scope, each: { key, value } }), diags);
      const vm = values && decodeVm(instance, block, values, vmContext);
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
    ...(backend ? { backend } : {}),
  });
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
}
