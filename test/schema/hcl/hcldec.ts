// An `hcldec`-compatible program over h2k's parser and evaluator, for HashiCorp's spec suite runner
// (hclspecsuite), which calls it as:
//   hcldec --spec=T.hcldec --diags=json --with-type --keep-nulls INPUT   → {"value", "type"} on stdout
//   hcldec --spec=T.hcldec --diags=json --var-refs INPUT                 → the traversals, as JSON
// and expects diagnostics as JSON on stderr with a non-zero exit when there are errors. The spec
// file (itself HCL) says how to decode the input's body: literal, object, attr, block, block_list,
// block_map, with `variables` for the input's expressions.
import { readFileSync } from 'node:fs';
import type { Block, Body, Expr, TypeConstraint } from '../../../src/schema/ast.js';
import { DiagnosticError } from '../../../src/schema/diagnostics.js';
import { Evaluator, references } from '../../../src/schema/evaluate.js';
import { parseJsonFile } from '../../../src/schema/json-syntax.js';
import { HclNumber } from '../../../src/schema/number.js';
import { parseFile } from '../../../src/schema/parser.js';
import { SourceFile, type Span, toRange } from '../../../src/schema/source-file.js';
import { convert, parseType } from '../../../src/schema/types.js';
import { type Value, isObject } from '../../../src/schema/values.js';

type Spec =
  | { kind: 'literal'; value: Value }
  | { kind: 'object'; children: [string, Spec][] }
  | { kind: 'attr'; name: string; type?: TypeConstraint; required: boolean }
  | { kind: 'block' | 'block_list'; blockType: string; nested: Spec }
  | { kind: 'block_map'; blockType: string; labels: string[]; nested: Spec };

type CtyType = string | [string, unknown];

class Failure extends Error {
  constructor(readonly diagnostics: DiagnosticError[]) {
    super(diagnostics[0]?.summary ?? 'failure');
  }
}

const evaluator = new Evaluator({ var: {}, local: {}, source: {}, policy: {}, fn: { baseDir: '.', env: {} } });

function main(argv: string[]): number {
  const specPath = argv.find((a) => a.startsWith('--spec='))?.slice('--spec='.length);
  const input = argv.filter((a) => !a.startsWith('--'))[0];
  if (!specPath || !input) {
    process.stderr.write('usage: hcldec --spec=FILE [--var-refs] [--with-type] INPUT\n');
    return 2;
  }
  try {
    const specFile = new SourceFile(specPath, readFileSync(specPath, 'utf8'));
    const specBody = parsed(specFile);
    const variables = new Map<string, Value>();
    for (const b of specBody.blocks.filter((b) => b.type === 'variables'))
      for (const a of b.body.attributes) variables.set(a.name, evaluator.evaluate(a.expr));
    const roots = specBody.blocks.filter((b) => b.type !== 'variables');
    if (roots.length !== 1) throw new Error(`${specPath}: exactly one root spec block is required`);
    const spec = readSpec(roots[0]);

    const text = readFileSync(input, 'utf8');
    const file = new SourceFile(input, text);
    const body = input.endsWith('.json') ? parsedJson(file, spec) : parsed(file);
    if (argv.includes('--var-refs')) {
      process.stdout.write(JSON.stringify(traversals(body)) + '\n');
      return 0;
    }
    const [value, type] = decode(spec, body, variables);
    process.stdout.write(`{"value":${jsonText(value)},"type":${JSON.stringify(type)}}\n`);
    return 0;
  } catch (err) {
    if (err instanceof Failure) return printDiagnostics(err.diagnostics);
    if (err instanceof DiagnosticError) return printDiagnostics([err]);
    throw err;
  }
}

function parsed(file: SourceFile): Body {
  const { body, errors } = parseFile(file);
  if (errors.length) throw new Failure(errors);
  return body;
}

function parsedJson(file: SourceFile, spec: Spec): Body {
  const { body, errors } = parseJsonFile(file, { labels: (path) => blockLabels(spec, path) });
  if (errors.length) throw new Failure(errors);
  return body;
}

/** For JSON input: how many labels a block type at this nesting path has (undefined: an attribute). */
function blockLabels(spec: Spec, path: string[]): number | undefined {
  let current: Spec | undefined = spec;
  for (let i = 0; i <= path.length; i++) {
    const name = path[i];
    const children: [string, Spec][] =
      current?.kind === 'object'
        ? current.children
        : current && 'blockType' in current
          ? [[current.blockType, current]]
          : [];
    const found = children.find(([, c]) => 'blockType' in c && c.blockType === name)?.[1];
    if (i === path.length - 1) return found && found.kind === 'block_map' ? found.labels.length : found ? 0 : undefined;
    if (!found || !('nested' in found)) return undefined;
    current = found.nested;
  }
  return undefined;
}

function readSpec(b: Block): Spec {
  const attr = (name: string): Expr | undefined => b.body.attributes.find((a) => a.name === name)?.expr;
  const str = (name: string): string | undefined => {
    const e = attr(name);
    return e ? (evaluator.evaluate(e) as string) : undefined;
  };
  const nested = (): Spec => {
    if (b.body.blocks.length !== 1) throw new Error(`${b.type} spec needs exactly one nested spec`);
    return readSpec(b.body.blocks[0]);
  };
  switch (b.type) {
    case 'literal':
      return { kind: 'literal', value: evaluator.evaluate(attr('value')!) };
    case 'object':
      return { kind: 'object', children: b.body.blocks.map((c) => [c.labels[0]?.value ?? '', readSpec(c)]) };
    case 'attr': {
      const t = attr('type');
      const required = attr('required');
      return {
        kind: 'attr',
        name: str('name') ?? b.labels[0].value,
        ...(t ? { type: parseType(t) } : {}),
        required: required ? evaluator.evaluate(required) === true : false,
      };
    }
    case 'block':
    case 'block_list':
      return { kind: b.type, blockType: str('block_type') ?? b.labels[0].value, nested: nested() };
    case 'block_map':
      return {
        kind: 'block_map',
        blockType: str('block_type') ?? b.labels[0].value,
        labels: evaluator.evaluate(attr('labels')!) as string[],
        nested: nested(),
      };
  }
  throw new Error(`unsupported spec block "${b.type}"`);
}

/** The attribute names and block types a spec reads from the body it decodes. */
function schemaOf(spec: Spec): { attrs: Set<string>; blocks: Set<string> } {
  const attrs = new Set<string>();
  const blocks = new Set<string>();
  const walk = (s: Spec) => {
    if (s.kind === 'attr') attrs.add(s.name);
    else if (s.kind === 'object') s.children.forEach(([, c]) => walk(c));
    else if (s.kind !== 'literal') blocks.add(s.blockType);
  };
  walk(spec);
  return { attrs, blocks };
}

function decode(spec: Spec, body: Body, vars: Map<string, Value>): [Value, CtyType] {
  const schema = schemaOf(spec);
  const errors: DiagnosticError[] = [];
  for (const a of body.attributes)
    if (!schema.attrs.has(a.name))
      errors.push(
        new DiagnosticError('Unsupported argument', `An argument named "${a.name}" is not expected here.`, a.nameSpan),
      );
  for (const b of body.blocks)
    if (!schema.blocks.has(b.type))
      errors.push(
        new DiagnosticError('Unsupported block type', `Blocks of type "${b.type}" are not expected here.`, b.typeSpan),
      );
  if (errors.length) throw new Failure(errors);
  return decodeWith(spec, body, vars);
}

function decodeWith(spec: Spec, body: Body, vars: Map<string, Value>): [Value, CtyType] {
  switch (spec.kind) {
    case 'literal':
      return [spec.value, typeOfValue(spec.value)];
    case 'object': {
      const value: Record<string, Value> = {};
      const types: Record<string, CtyType> = {};
      for (const [name, child] of spec.children) [value[name], types[name]] = decodeWith(child, body, vars);
      return [value, ['object', types]];
    }
    case 'attr': {
      const a = body.attributes.find((x) => x.name === spec.name);
      if (!a) {
        if (spec.required)
          throw new Failure([
            new DiagnosticError('Missing required argument', `The argument "${spec.name}" is required.`, body.span),
          ]);
        return [null, spec.type ? typeOfConstraint(spec.type) : 'dynamic'];
      }
      const raw = evaluator.evaluate(a.expr, vars);
      if (!spec.type || spec.type.kind === 'any') return [raw, typeOfValue(raw)];
      const r = convert(raw, spec.type);
      if ('error' in r)
        throw new Failure([new DiagnosticError('Incorrect attribute value type', r.error, a.expr.span)]);
      return [r.value, typeOfConstraint(spec.type)];
    }
    case 'block': {
      const found = body.blocks.filter((b) => b.type === spec.blockType);
      if (found.length > 1)
        throw new Failure([
          new DiagnosticError('Duplicate block', `Only one "${spec.blockType}" block is allowed.`, found[1].typeSpan),
        ]);
      if (found.length === 0) return [null, typeOfSpec(spec.nested)];
      return decode(spec.nested, found[0].body, vars);
    }
    case 'block_list': {
      const items = body.blocks.filter((b) => b.type === spec.blockType).map((b) => decode(spec.nested, b.body, vars));
      return [items.map(([v]) => v), ['list', typeOfSpec(spec.nested)]];
    }
    case 'block_map': {
      const out: Record<string, Value> = {};
      for (const b of body.blocks.filter((x) => x.type === spec.blockType)) {
        let level = out;
        b.labels.forEach((l, i) => {
          if (i === b.labels.length - 1) level[l.value] = decode(spec.nested, b.body, vars)[0];
          else level = (level[l.value] ??= {}) as Record<string, Value>;
        });
      }
      let type: CtyType = typeOfSpec(spec.nested);
      for (let i = 0; i < spec.labels.length; i++) type = ['map', type];
      return [out, type];
    }
  }
}

function typeOfSpec(spec: Spec): CtyType {
  switch (spec.kind) {
    case 'literal':
      return typeOfValue(spec.value);
    case 'object':
      return ['object', Object.fromEntries(spec.children.map(([n, c]) => [n, typeOfSpec(c)]))];
    case 'attr':
      return spec.type ? typeOfConstraint(spec.type) : 'dynamic';
    case 'block':
      return typeOfSpec(spec.nested);
    case 'block_list':
      return ['list', typeOfSpec(spec.nested)];
    case 'block_map': {
      let t = typeOfSpec(spec.nested);
      for (let i = 0; i < spec.labels.length; i++) t = ['map', t];
      return t;
    }
  }
}

function typeOfConstraint(t: TypeConstraint): CtyType {
  switch (t.kind) {
    case 'any':
      return 'dynamic';
    case 'list':
    case 'set':
    case 'map':
      return [t.kind, typeOfConstraint(t.element)];
    case 'object':
      return ['object', Object.fromEntries(Object.entries(t.attributes).map(([k, v]) => [k, typeOfConstraint(v)]))];
    default:
      return t.kind;
  }
}

function typeOfValue(v: Value): CtyType {
  if (v === null) return 'dynamic';
  if (v instanceof HclNumber) return 'number';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return ['tuple', v.map(typeOfValue)];
  if (isObject(v)) return ['object', Object.fromEntries(Object.entries(v).map(([k, x]) => [k, typeOfValue(x)]))];
  throw new Error(`no cty type for ${String(v)}`);
}

/** JSON text of a value with numbers in full precision (cty reads them back at 512 bits). */
function jsonText(v: Value): string {
  if (v instanceof HclNumber) return v.toString();
  if (Array.isArray(v)) return `[${v.map(jsonText).join(',')}]`;
  if (isObject(v))
    return `{${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}:${jsonText(x)}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

function traversals(body: Body): unknown[] {
  const out: unknown[] = [];
  const walk = (b: Body) => {
    for (const a of b.attributes)
      for (const ref of references(a.expr))
        out.push({
          steps: ref.path.map((name, i) => ({ kind: i === 0 ? 'root' : 'attr', name, range: jsonRange(ref.span) })),
        });
    b.blocks.forEach((x) => walk(x.body));
  };
  walk(body);
  return out;
}

function jsonRange(span: Span): unknown {
  const r = toRange(span);
  return { filename: r.filename, start: r.start, end: r.end };
}

function printDiagnostics(diags: DiagnosticError[]): number {
  const out = diags.map((d) => ({
    severity: 'error',
    summary: d.summary,
    detail: d.detail,
    ...(d.span ? { subject: jsonRange(d.span) } : {}),
  }));
  process.stderr.write(JSON.stringify({ diagnostics: out }) + '\n');
  return 1;
}

process.exitCode = main(process.argv.slice(2));
