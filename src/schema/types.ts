// Variable type constraints: parsed from a `type = ...` expression, then used to convert values
// (a -var string "3" for a number variable becomes 3).
import type { Expr, TypeConstraint } from './ast.js';
import { DiagnosticError } from './diagnostics.js';
import { HclNumber } from './number.js';
import { BlockRef, type ObjectValue, Sensitive, type Value, isObject, typeName } from './values.js';

export function parseType(expr: Expr): TypeConstraint {
  const bad = (): never => {
    throw new DiagnosticError(
      'Invalid type specification',
      'A type is string, number, bool, any, list(T), set(T), map(T) or object({ name = T, ... }).',
      expr.span,
    );
  };
  if (expr.kind === 'scope' && ['string', 'number', 'bool', 'any'].includes(expr.name)) {
    return { kind: expr.name as 'string' | 'number' | 'bool' | 'any' };
  }
  if (expr.kind === 'call' && ['list', 'set', 'map'].includes(expr.name)) {
    if (expr.args.length !== 1) bad();
    return { kind: expr.name as 'list' | 'set' | 'map', element: parseType(expr.args[0]) };
  }
  if (expr.kind === 'call' && expr.name === 'object') {
    const arg = expr.args[0];
    if (expr.args.length !== 1 || arg.kind !== 'object') return bad();
    const attributes: Record<string, TypeConstraint> = {};
    for (const item of arg.items) {
      if (item.key.kind !== 'literal' || typeof item.key.value !== 'string') bad();
      attributes[(item.key as { value: string }).value] = parseType(item.value);
    }
    return { kind: 'object', attributes };
  }
  return bad();
}

export function typeString(t: TypeConstraint): string {
  switch (t.kind) {
    case 'list':
    case 'set':
    case 'map':
      return `${t.kind}(${typeString(t.element)})`;
    case 'object':
      return `object({${Object.entries(t.attributes)
        .map(([k, v]) => `${k}=${typeString(v)}`)
        .join(', ')}})`;
    default:
      return t.kind;
  }
}

/** Converts v to type t or returns a reason it cannot be converted. */
export function convert(v: Value, t: TypeConstraint, path = ''): { value: Value } | { error: string } {
  if (v instanceof Sensitive) {
    const r = convert(v.reveal(), t, path);
    return 'value' in r ? { value: new Sensitive(r.value) } : r;
  }
  const where = path ? ` at ${path}` : '';
  if (v === null || t.kind === 'any') return { value: v };
  switch (t.kind) {
    case 'string': {
      const s = asString(v);
      return s !== undefined ? { value: s } : { error: `string required${where}, got ${typeName(v)}` };
    }
    case 'number': {
      const n = asNumber(v);
      return n ? { value: n } : { error: `number required${where}, got ${typeName(v)}` };
    }
    case 'bool':
      if (typeof v === 'boolean') return { value: v };
      if (v === 'true' || v === 'false') return { value: v === 'true' };
      return { error: `bool required${where}, got ${typeName(v)}` };
    case 'list':
    case 'set': {
      if (!Array.isArray(v)) return { error: `${t.kind} required${where}, got ${typeName(v)}` };
      const out: Value[] = [];
      for (let i = 0; i < v.length; i++) {
        const r = convert(v[i], t.element, `${path}[${i}]`);
        if ('error' in r) return r;
        out.push(r.value);
      }
      return { value: out };
    }
    case 'map': {
      if (!isObject(v)) return { error: `map required${where}, got ${typeName(v)}` };
      const out: ObjectValue = {};
      for (const [k, x] of Object.entries(v)) {
        const r = convert(x, t.element, `${path}[${JSON.stringify(k)}]`);
        if ('error' in r) return r;
        out[k] = r.value;
      }
      return { value: out };
    }
    case 'object': {
      if (!isObject(v) || v instanceof BlockRef) return { error: `object required${where}, got ${typeName(v)}` };
      const out: ObjectValue = {};
      for (const [k, at] of Object.entries(t.attributes)) {
        if (!(k in v)) return { error: `attribute "${k}" is required${where}` };
        const r = convert(v[k], at, `${path}.${k}`);
        if ('error' in r) return r;
        out[k] = r.value;
      }
      return { value: out };
    }
  }
}

/** HCL's string → number conversion: a decimal (sign, `.5`, `5.`, exponent) or `Inf`, nothing else. */
function stringToNumber(s: string): HclNumber | undefined {
  const m = /^([+-]?)(?:([0-9]+)\.?([0-9]*)|\.([0-9]+))((?:[eE][+-]?[0-9]+)?)$/.exec(s);
  if (m) {
    const [, sign, whole, frac, onlyFrac, exp] = m;
    const intPart = whole ?? '0';
    const fracPart = whole === undefined ? onlyFrac : frac;
    return HclNumber.parse(`${sign}${intPart}${fracPart ? `.${fracPart}` : ''}${exp}`);
  }
  if (/^[+-]?(Inf|inf)$/.test(s)) return HclNumber.infinity(s.startsWith('-'));
  return undefined;
}

/** HCL's conversion to a number: a number as it is, a string that reads as one; nothing else. */
export function asNumber(v: Value): HclNumber | undefined {
  if (v instanceof HclNumber) return v;
  return typeof v === 'string' ? stringToNumber(v) : undefined;
}

/** HCL's conversion to a string: a string as it is, a number or bool written out; nothing else. */
export function asString(v: Value): string | undefined {
  return typeof v === 'string' ? v : v instanceof HclNumber || typeof v === 'boolean' ? String(v) : undefined;
}
