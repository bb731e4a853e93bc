// Structure of a configuration: which blocks, with which labels, defined once each; variables
// declared; the objects (locals, sources, policies) that evaluation orders by their references.
import type { JsonBodySchema } from '../json-syntax.js';
import type { Attribute, Block, Body } from '../ast.js';
import { DiagnosticError, type Diagnostics } from '../diagnostics.js';
import { type DeclaredVariable, evaluateConstant } from '../inputs.js';
import { type Span, toRange } from '../source-file.js';
import { BACKEND_TYPES } from '../config-schema.js';
import { convert, parseType } from '../types.js';
import { typeName } from '../values.js';
import { suggest } from '../../util/did-you-mean.js';
import { CHECK_KINDS } from '../../model/service-check.js';

const BLOCK_LABELS: Record<string, string[]> = {
  variable: ['name'],
  locals: [],
  source: ['type', 'name'],
  policy: ['name'],
  vm: ['name'],
  backend: ['type'],
};
const VARIABLE_ATTRS = ['type', 'default', 'description', 'sensitive'];

/** What a `.h2k.hcl.json` file's properties are: the top-level blocks with their labels; a
 *  variable's `type` is a native type expression in a string, as in Terraform's JSON. */
export const JSON_BODY_SCHEMA: JsonBodySchema = {
  labels: (path) =>
    path.length === 1 ? BLOCK_LABELS[path[0]]?.length : path.join('.') === 'policy.check' ? 1 : undefined,
  nativeExpression: (path, name) => path.length === 1 && path[0] === 'variable' && name === 'type',
};
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** An evaluable object in the dependency graph: local.x, source.t.n, policy.n or vm.n. */
export interface GraphNode {
  address: string;
  span: Span;
  attrs: Attribute[];
  block?: Block;
  /** A policy's `check "KIND" { … }` blocks, in order. */
  checks?: Block[];
}

export interface Structure {
  variables: Map<string, DeclaredVariable>;
  nodes: Map<string, GraphNode>;
  vmBlocks: Block[];
}

/** "file:line:col" of a span, for "already defined at" details. */
export function where(s: Span): string {
  const r = toRange(s);
  return `${r.filename}:${r.start.line}:${r.start.column}`;
}

export function readStructure(bodies: Body[], sourceTypes: string[], diags: Diagnostics): Structure {
  const variables = new Map<string, DeclaredVariable>();
  const nodes = new Map<string, GraphNode>();
  const vmBlocks: Block[] = [];
  const firstSeen = new Map<string, Span>();
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
        `An argument named "${attr.name}" is not expected here; top-level content must be blocks.` +
          suggest(attr.name, Object.keys(BLOCK_LABELS)),
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
          `A name must start with a letter or underscore and may contain only letters, digits, underscores, ` +
            `and dashes; ${JSON.stringify(badLabel.value)} does not.`,
          badLabel.span,
        );
        continue;
      }
      const checks: Block[] = [];
      for (const nested of block.body.blocks) {
        if (block.type === 'policy' && nested.type === 'check') {
          if (checkBlockValid(nested, diags)) checks.push(nested);
          continue;
        }
        diags.error(
          'Unsupported block type',
          `Blocks of type "${nested.type}" are not expected inside a ${block.type} block.`,
          nested.typeSpan,
        );
      }
      const attrs = block.body.attributes;

      const [l0, l1] = block.labels.map((l) => l.value);
      switch (block.type) {
        case 'variable': {
          if (
            !claim(
              `var.${l0}`,
              block.headerSpan,
              'Duplicate variable declaration',
              (at) =>
                `A variable named "${l0}" was already declared at ${at}. Variable names must be unique within ` +
                `a configuration.`,
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
                  `A local value named "${a.name}" was already defined at ${at}. Local value names must be ` +
                  `unique within a configuration.`,
              )
            )
              continue;
            nodes.set(`local.${a.name}`, { address: `local.${a.name}`, span: a.nameSpan, attrs: [a] });
          }
          break;
        case 'source':
          if (!sourceTypes.includes(l0)) {
            const quoted = sourceTypes.map((t) => `"${t}"`);
            const known = quoted.length > 1 ? `${quoted.slice(0, -1).join(', ')} and ${quoted.at(-1)}` : quoted[0];
            const detail = `There is no source type "${l0}"; the source types are ${known}.${suggest(l0, sourceTypes)}`;
            diags.error('Unknown source type', detail, block.labels[0].span);
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
          nodes.set(`policy.${l0}`, { address: `policy.${l0}`, span: block.headerSpan, attrs, block, checks });
          break;
        case 'backend': {
          const types: readonly string[] = BACKEND_TYPES;
          if (!types.includes(l0)) {
            const detail =
              `There is no backend type "${l0}"; the backend types are ${types.map((t) => `"${t}"`).join(', ')} ` +
              `(without a backend block, state lives in the configuration's .h2k directory).`;
            diags.error('Unknown backend type', detail, block.labels[0].span);
            break;
          }
          if (
            !claim(
              'backend',
              block.headerSpan,
              'Duplicate backend configuration',
              (at) => `A configuration may have one backend block; one was already declared at ${at}.`,
            )
          )
            break;
          nodes.set(`backend.${l0}`, { address: `backend.${l0}`, span: block.headerSpan, attrs, block });
          break;
        }
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
  return { variables, nodes, vmBlocks };
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
              `Inappropriate value for attribute "${a.name}": ${want === 'boolean' ? 'bool' : 'string'} ` +
                `required, got ${typeName(value)}.`,
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

/** A policy's `check` block: one label, a known kind, no blocks inside. */
function checkBlockValid(b: Block, diags: Diagnostics): boolean {
  const kinds = CHECK_KINDS.map((k) => `"${k}"`).join(', ');
  if (b.labels.length !== 1) {
    diags.error(
      b.labels.length ? 'Extraneous label for check' : 'Missing kind for check',
      `A check block has one label, its kind: ${kinds}; like check "tcp" { port = 5432 }.`,
      b.labels[1]?.span ?? b.headerSpan,
    );
    return false;
  }
  const kind = b.labels[0].value;
  if (!(CHECK_KINDS as readonly string[]).includes(kind)) {
    diags.error(
      'Unknown check kind',
      `There is no check "${kind}"; the kinds are ${kinds}.${suggest(kind, [...CHECK_KINDS])}`,
      b.labels[0].span,
    );
    return false;
  }
  for (const nested of b.body.blocks)
    diags.error(
      'Unsupported block type',
      `Blocks of type "${nested.type}" are not expected inside a check block.`,
      nested.typeSpan,
    );
  return b.body.blocks.length === 0;
}
