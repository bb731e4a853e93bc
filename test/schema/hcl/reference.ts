// HashiCorp's HCL as a reference: its spec suite runner and h2k's oracle program (both built by
// `npm run setup` from Debian's golang-github-hashicorp-hcl-v2-dev), and h2k's answer in the same
// shape as the oracle's, for differential tests.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Body } from '../../../src/schema/ast.js';
import { DiagnosticError } from '../../../src/schema/diagnostics.js';
import { Evaluator, type Scope } from '../../../src/schema/evaluate.js';
import { type JsonNode, readJson } from '../../../src/schema/json-syntax.js';
import { HclNumber } from '../../../src/schema/number.js';
import { parseFile } from '../../../src/schema/parser.js';
import { SourceFile, type Span, toRange } from '../../../src/schema/source-file.js';
import { type Value, fromPlain, isObject } from '../../../src/schema/values.js';
import { toolsDir } from '../../../src/tools/locate.js';
import { REPO } from '../../helpers.js';

export const SPEC_TESTS = '/usr/share/gocode/src/github.com/hashicorp/hcl/v2/specsuite/tests';

function tool(name: string): string {
  const p = join(toolsDir(), 'bin', name);
  if (!existsSync(p)) throw new Error(`${p} is missing: run npm run setup (it builds HCL's reference tools)`);
  return p;
}

export function specSuiteRunner(): string {
  return tool('hclspecsuite');
}

/** The oracle binary for the current source (its name carries the source's hash). */
export function oraclePath(): string {
  const src = readFileSync(join(REPO, 'scripts', 'hcl-oracle', 'main.go'));
  return tool(`hcl-oracle-${createHash('sha256').update(src).digest('hex').slice(0, 12)}`);
}

export interface Pos {
  line: number;
  column: number;
  byte: number;
}
export interface Diag {
  severity: string;
  summary: string;
  range?: { start: Pos; end: Pos };
}
export interface AttrResult {
  /** Canonical JSON text (keys sorted, numbers as written). */
  value?: string;
  diagnostics?: Diag[];
}
export interface BodyResult {
  attributes: Record<string, AttrResult>;
  blocks: { type: string; labels: string[]; body: BodyResult }[];
}
export interface Result {
  diagnostics: Diag[];
  body?: BodyResult;
}

/** The `var` object and functions the oracle evaluates with (scripts/hcl-oracle/main.go). */
const VARS = {
  s: 'str',
  n: 3,
  t: true,
  names: ['a', 'b'],
  sizes: { a: 1, b: 2 },
  vms: [
    { name: 'web', cpus: 2 },
    { name: 'db', cpus: 4 },
  ],
  none: null,
};

export async function oracle(path: string): Promise<Result> {
  const r = await execa(oraclePath(), [path]);
  const raw = JSON.parse(r.stdout) as {
    diagnostics: Diag[];
    body?: RawBody;
  };
  return { diagnostics: raw.diagnostics.map(stripDiag), ...(raw.body ? { body: fromRaw(raw.body) } : {}) };
}

interface RawBody {
  attributes: Record<string, { value?: string; diagnostics?: Diag[] }>;
  blocks: { type: string; labels: string[]; body: RawBody }[];
}

function fromRaw(b: RawBody): BodyResult {
  return {
    attributes: Object.fromEntries(
      Object.entries(b.attributes).map(([k, a]) => [
        k,
        a.value !== undefined
          ? { value: canonical(readJson(new SourceFile('v', a.value))) }
          : { diagnostics: (a.diagnostics ?? []).map(stripDiag) },
      ]),
    ),
    blocks: b.blocks.map((x) => ({ type: x.type, labels: x.labels, body: fromRaw(x.body) })),
  };
}

function stripDiag(d: Diag): Diag {
  return { severity: d.severity, summary: d.summary, ...(d.range ? { range: d.range } : {}) };
}

export function ours(path: string): Result {
  const file = new SourceFile(path, readFileSync(path, 'utf8'));
  const { body, errors } = parseFile(file);
  const diagnostics = errors.map(diagOf);
  if (errors.length) return { diagnostics };
  const scope: Scope = {
    var: fromPlain(VARS) as Record<string, Value>,
    local: {},
    source: {},
    policy: {},
    fn: { baseDir: REPO, env: {} },
  };
  return { diagnostics, body: dumpBody(body, new Evaluator(scope)) };
}

function dumpBody(b: Body, ev: Evaluator): BodyResult {
  const attributes: Record<string, AttrResult> = {};
  for (const a of [...b.attributes].sort((x, y) => (x.name < y.name ? -1 : 1))) {
    try {
      attributes[a.name] = { value: canonicalValue(ev.evaluate(a.expr)) };
    } catch (err) {
      if (!(err instanceof DiagnosticError)) throw err;
      attributes[a.name] = { diagnostics: [diagOf(err)] };
    }
  }
  return {
    attributes,
    blocks: b.blocks.map((x) => ({ type: x.type, labels: x.labels.map((l) => l.value), body: dumpBody(x.body, ev) })),
  };
}

function diagOf(e: DiagnosticError): Diag {
  const span = e.span as Span | undefined;
  if (!span) return { severity: 'error', summary: e.summary };
  const r = toRange(span);
  return { severity: 'error', summary: e.summary, range: { start: r.start, end: r.end } };
}

function canonicalValue(v: Value): string {
  if (v instanceof HclNumber) {
    if (v.isInfinite) throw new DiagnosticError('Unserializable value', 'cannot serialize infinity as JSON');
    return v.toString();
  }
  if (Array.isArray(v)) return `[${v.map(canonicalValue).join(',')}]`;
  if (isObject(v))
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalValue(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

function canonical(n: JsonNode): string {
  switch (n.kind) {
    case 'object':
      return `{${[...n.props]
        .sort((a, b) => (a.key < b.key ? -1 : 1))
        .map((p) => `${JSON.stringify(p.key)}:${canonical(p.value)}`)
        .join(',')}}`;
    case 'array':
      return `[${n.items.map(canonical).join(',')}]`;
    case 'string':
      return JSON.stringify(n.value);
    case 'number':
      return n.text;
    case 'bool':
      return String(n.value);
    case 'null':
      return 'null';
  }
}
