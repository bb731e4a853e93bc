// Expression evaluation and static reference analysis.
import type { Expr, TemplateExpr } from './ast.js';
import { DiagnosticError } from './diagnostics.js';
import { type FunctionContext, FunctionError, coerceArg, paramAt, signature } from './functions.js';
import { HclNumber } from './number.js';
import { asNumber, asString } from './types.js';
import {
  BlockRef,
  type ObjectValue,
  Sensitive,
  type Value,
  deepEqual,
  deepUnmark,
  isObject,
  mark,
  typeName,
} from './values.js';
import type { Span } from './source-file.js';

/** How many names make a complete reference for each root: var.x, source.local.lab, ... */
export const REFERENCE_ROOTS: Record<string, number> = { var: 2, local: 2, source: 3, policy: 2, each: 2 };

export interface Scope {
  var: Record<string, Value>;
  local: Record<string, Value>;
  source: Record<string, Record<string, BlockRef>>;
  policy: Record<string, BlockRef>;
  each?: { key: Value; value: Value };
  fn: FunctionContext;
}

export interface Reference {
  /** e.g. ["var", "region"], ["source", "local", "lab"] */
  path: string[];
  span: Span;
}

/** The static name chain of `a.b.c` (or a["b"]) down to its root, if it is one. */
function namePath(expr: Expr): string[] | undefined {
  if (expr.kind === 'scope') return [expr.name];
  if (expr.kind === 'getattr') {
    const inner = namePath(expr.target);
    return inner && [...inner, expr.name];
  }
  if (expr.kind === 'index' && expr.key.kind === 'literal' && typeof expr.key.value === 'string') {
    const inner = namePath(expr.target);
    return inner && [...inner, expr.key.value];
  }
  return undefined;
}

/** The names bound inside a for expression or directive: the outer ones and its key and value. */
function loopBound(bound: Set<string>, e: { keyVar?: string; valueVar: string }): Set<string> {
  return new Set([...bound, e.valueVar, ...(e.keyVar ? [e.keyVar] : [])]);
}

/** Every reference an expression makes, without evaluating it (both branches of a conditional). */
export function references(expr: Expr, bound: Set<string> = new Set()): Reference[] {
  const out: Reference[] = [];
  const walk = (e: Expr, b: Set<string>): void => {
    const path = namePath(e);
    if (path && !b.has(path[0])) {
      const need = REFERENCE_ROOTS[path[0]];
      if (need !== undefined) {
        out.push({ path: path.slice(0, need), span: e.span });
        // Index keys deeper in the chain may still hold references.
      } else out.push({ path, span: e.span });
      if (need === undefined || path.length >= need) {
        collectIndexKeys(e, b);
        return;
      }
    }
    switch (e.kind) {
      case 'template':
        for (const p of e.parts) if (typeof p !== 'string') walk(p, b);
        return;
      case 'templateIf':
        walk(e.cond, b);
        walk(e.then, b);
        if (e.else) walk(e.else, b);
        return;
      case 'templateFor':
        walk(e.collection, b);
        walk(e.body, loopBound(b, e));
        return;
      case 'splat':
        walk(e.source, b);
        walk(e.each, b);
        return;
      case 'getattr':
        walk(e.target, b);
        return;
      case 'index':
        walk(e.target, b);
        walk(e.key, b);
        return;
      case 'call':
        e.args.forEach((a) => walk(a, b));
        return;
      case 'tuple':
        e.items.forEach((a) => walk(a, b));
        return;
      case 'object':
        e.items.forEach((it) => {
          walk(it.key, b);
          walk(it.value, b);
        });
        return;
      case 'unary':
        walk(e.operand, b);
        return;
      case 'binary':
        walk(e.left, b);
        walk(e.right, b);
        return;
      case 'conditional':
        walk(e.cond, b);
        walk(e.then, b);
        walk(e.else, b);
        return;
      case 'paren':
        walk(e.expr, b);
        return;
      case 'for': {
        walk(e.collection, b);
        const inner = loopBound(b, e);
        if (e.keyExpr) walk(e.keyExpr, inner);
        walk(e.valueExpr, inner);
        if (e.cond) walk(e.cond, inner);
        return;
      }
      default:
        return;
    }
  };
  const collectIndexKeys = (e: Expr, b: Set<string>): void => {
    if (e.kind === 'getattr') collectIndexKeys(e.target, b);
    if (e.kind === 'index') {
      collectIndexKeys(e.target, b);
      if (e.key.kind !== 'literal') walk(e.key, b);
    }
  };
  walk(expr, bound);
  return out;
}

export class Evaluator {
  constructor(private scope: Scope) {}

  evaluate(expr: Expr, locals: Map<string, Value> = new Map()): Value {
    const ev = (e: Expr) => this.evaluate(e, locals);
    switch (expr.kind) {
      case 'literal':
        return expr.value;
      case 'paren':
        return ev(expr.expr);
      case 'template':
        return this.template(expr, locals);
      case 'templateIf': {
        const [c, s] = deepUnmark(ev(expr.cond));
        const cond = this.bool(c, expr.cond.span, 'condition');
        const branch = cond ? expr.then : expr.else;
        return mark(branch ? this.templateString(branch, locals) : '', s);
      }
      case 'templateFor': {
        let out = '';
        let sensitive = false;
        for (const inner of this.iterate(expr, locals).passes) {
          const [text, s] = deepUnmark(this.templateString(expr.body, inner));
          sensitive ||= s;
          out += text as string;
        }
        return mark(out, sensitive);
      }
      case 'splat': {
        const [src, s] = deepUnmark(ev(expr.source));
        if (src === null) return [];
        // A value that is not a list is treated as a list of that one value, as HCL does.
        const items = Array.isArray(src) ? src : [src];
        return mark(
          items.map((item) => this.evaluate(expr.each, new Map(locals).set(SPLAT_ITEM, item))),
          s,
        );
      }
      case 'splatItem':
        return locals.get(SPLAT_ITEM)!;
      case 'scope':
        if (locals.has(expr.name)) return locals.get(expr.name)!;
        if (expr.name in REFERENCE_ROOTS) throw this.incomplete(expr.name, expr.span);
        throw new DiagnosticError(
          'Invalid reference',
          `A reference must start with var., local., source., policy. or each.; "${expr.name}" is not one of ` +
            `them. If you meant a string, put it in quotes.`,
          expr.span,
        );
      case 'getattr':
      case 'index': {
        const path = namePath(expr);
        if (path && !locals.has(path[0]) && path[0] in REFERENCE_ROOTS) {
          const need = REFERENCE_ROOTS[path[0]];
          if (path.length < need) throw this.incomplete(path[0], expr.span);
          if (path.length === need) return this.resolve(path, expr.span);
        }
        const target = ev(expr.target);
        if (expr.kind === 'getattr') return this.getAttr(target, expr.name, expr.stepSpan);
        return this.index(target, ev(expr.key), expr.stepSpan);
      }
      case 'call':
        return this.call(expr, locals);
      case 'tuple':
        return expr.items.map(ev);
      case 'object': {
        const out: ObjectValue = {};
        for (const item of expr.items) {
          const [k, ks] = deepUnmark(ev(item.key));
          if (ks)
            throw new DiagnosticError(
              'Invalid object key',
              'A sensitive value cannot be used as an object key.',
              item.key.span,
            );
          const key = asString(k);
          if (key === undefined)
            throw new DiagnosticError(
              'Invalid object key',
              `An object key must be a string, got ${typeName(k)}.`,
              item.key.span,
            );
          out[key] = ev(item.value);
        }
        return out;
      }
      case 'unary': {
        const [v, s] = deepUnmark(ev(expr.operand));
        if (v === null)
          throw new DiagnosticError(
            'Operation failed',
            'Error during operation: argument must not be null.',
            expr.span,
          );
        if (expr.op === '!') return mark(!this.bool(v, expr.operand.span, 'operand'), s);
        return mark(this.number(v, expr.operand.span, 'operand').neg(), s);
      }
      case 'binary':
        return this.binary(expr, locals);
      case 'conditional': {
        const [c, s] = deepUnmark(ev(expr.cond));
        const cond = this.bool(c, expr.cond.span, 'condition');
        // Both results are converted to one type, as HCL does: `true ? 1 : "x"` is "1".
        // The other branch only lends its type: its errors are not reported, as in HCL.
        const chosen = ev(cond ? expr.then : expr.else);
        let other: Value = null;
        try {
          other = ev(cond ? expr.else : expr.then);
        } catch (err) {
          if (!(err instanceof DiagnosticError)) throw err;
        }
        const unified = unify(chosen, other);
        if (unified === INCONSISTENT)
          throw new DiagnosticError(
            'Inconsistent conditional result types',
            `The true and false result expressions must have consistent types. The 'true' value is ` +
              `${typeName(cond ? chosen : other)}, but the 'false' value is ${typeName(cond ? other : chosen)}.`,
            expr.span.file.span(expr.then.span.start, expr.else.span.end),
          );
        return mark(unified, s);
      }
      case 'for':
        return this.forExpr(expr, locals);
      case 'type':
        throw new DiagnosticError('Invalid expression', 'A type is not a value.', expr.span);
    }
  }

  private incomplete(root: string, span: Span): DiagnosticError {
    const example: Record<string, string> = {
      var: 'var.NAME',
      local: 'local.NAME',
      source: 'source.TYPE.NAME (source.local.lab)',
      policy: 'policy.NAME',
      each: 'each.key or each.value',
    };
    return new DiagnosticError(
      'Invalid reference',
      `A reference to "${root}" must name what it refers to, like ${example[root]}.`,
      span,
    );
  }

  private resolve(path: string[], span: Span): Value {
    const [root, a, b] = path;
    const s = this.scope;
    const found = (() => {
      switch (root) {
        case 'var':
          return Object.prototype.hasOwnProperty.call(s.var, a) ? s.var[a] : undefined;
        case 'local':
          return Object.prototype.hasOwnProperty.call(s.local, a) ? s.local[a] : undefined;
        case 'policy':
          return s.policy[a];
        case 'source':
          return s.source[a]?.[b];
        case 'each':
          if (!s.each)
            throw new DiagnosticError(
              'Reference to "each" in context without for_each',
              'The "each" object can be used only in a block that has for_each set.',
              span,
            );
          if (a === 'key') return s.each.key;
          if (a === 'value') return s.each.value;
          throw new DiagnosticError(
            'Invalid "each" attribute',
            `The "each" object has only "key" and "value"; "${a}" is not one of them.`,
            span,
          );
      }
      return undefined;
    })();
    if (found === undefined) throw undeclared(path, span);
    return found;
  }

  private getAttr(target: Value, name: string, span: Span): Value {
    const [t, s] = target instanceof Sensitive ? [target.reveal(), true] : [target, false];
    const obj = t instanceof BlockRef ? t.attrs : t;
    if (isObject(obj)) {
      if (!Object.prototype.hasOwnProperty.call(obj, name)) {
        const what = t instanceof BlockRef ? t.address : 'This object';
        throw new DiagnosticError('Unsupported attribute', `${what} does not have an attribute named "${name}".`, span);
      }
      return mark(obj[name], s);
    }
    throw new DiagnosticError(
      'Unsupported attribute',
      `Can't access attributes on a value of type ${typeName(t)}.`,
      span,
    );
  }

  private index(target: Value, key: Value, span: Span): Value {
    const [t, s1] = target instanceof Sensitive ? [target.reveal(), true] : [target, false];
    const [k, s2] = deepUnmark(key);
    const obj = t instanceof BlockRef ? t.attrs : t;
    if (Array.isArray(obj)) {
      const num = asNumber(k);
      if (!num || !num.isInteger)
        throw new DiagnosticError('Invalid index', `A list index must be a whole number, got ${typeName(k)}.`, span);
      const n = num.toNumber();
      if (n < 0 || n >= obj.length)
        throw new DiagnosticError(
          'Invalid index',
          `The given index ${n} is out of range: the list has ${obj.length} element(s).`,
          span,
        );
      return mark(obj[n], s1 || s2);
    }
    if (isObject(obj)) {
      // A number or bool key converts to its string (the legacy `m.1` too).
      const key = asString(k);
      if (key === undefined)
        throw new DiagnosticError('Invalid index', `A map key must be a string, got ${typeName(k)}.`, span);
      if (!Object.prototype.hasOwnProperty.call(obj, key))
        throw new DiagnosticError(
          'Invalid index',
          `The given key ${JSON.stringify(key)} does not identify an element in this collection value.`,
          span,
        );
      return mark(obj[key], s1 || s2);
    }
    throw new DiagnosticError('Invalid index', `This value of type ${typeName(t)} does not have any indices.`, span);
  }

  private call(expr: Extract<Expr, { kind: 'call' }>, locals: Map<string, Value>): Value {
    const sig = signature(expr.name);
    if (!sig)
      throw new DiagnosticError(
        'Call to unknown function',
        `There is no function named "${expr.name}".`,
        expr.nameSpan,
      );
    let args = expr.args.map((a) => this.evaluate(a, locals));
    if (expr.expandFinal) {
      const [last, s] = deepUnmark(args[args.length - 1]);
      if (!Array.isArray(last))
        throw new DiagnosticError(
          'Invalid expanding argument value',
          'The expanding argument (indicated by ...) must be a list.',
          expr.args[expr.args.length - 1].span,
        );
      args = [...args.slice(0, -1), ...last.map((x) => mark(x, s))];
    }
    const argSpan = (i: number) => {
      const arg = expr.args[Math.min(i, expr.args.length - 1)];
      return arg ? startSpan(arg) : expr.span;
    };
    if (args.length < sig.min) {
      const missing = paramAt(sig.def, args.length).name;
      throw new DiagnosticError(
        'Not enough function arguments',
        `Function "${expr.name}" expects ${sig.min} argument(s). Missing value for "${missing}".`,
        expr.closeSpan,
      );
    }
    if (args.length > sig.max)
      throw new DiagnosticError(
        'Too many function arguments',
        `Function "${expr.name}" expects only ${sig.max} argument(s).`,
        argSpan(sig.max),
      );
    let sensitive = false;
    const plain = args.map((a, i) => {
      const [u, s] = deepUnmark(a);
      sensitive ||= s;
      try {
        return coerceArg(u, paramAt(sig.def, i));
      } catch (err) {
        throw new DiagnosticError('Invalid function argument', (err as Error).message, argSpan(i));
      }
    });
    try {
      return mark(sig.def.impl(plain, this.scope.fn), sensitive);
    } catch (err) {
      if (!(err instanceof FunctionError)) throw err;
      const span = err.argIndex === undefined ? expr.headSpan : argSpan(err.argIndex);
      throw new DiagnosticError(
        err.argIndex === undefined ? 'Error in function call' : 'Invalid function argument',
        `Call to function "${expr.name}" failed: ${err.message}.`,
        span,
      );
    }
  }

  private template(expr: TemplateExpr, locals: Map<string, Value>): Value {
    // "${x}" alone yields x itself, not its string form (so lists and numbers pass through).
    const only = expr.parts.length === 1 ? expr.parts[0] : undefined;
    if (only !== undefined && typeof only !== 'string' && only.kind !== 'templateIf' && only.kind !== 'templateFor')
      return this.evaluate(only, locals);
    return this.templateString(expr, locals);
  }

  private templateString(expr: TemplateExpr, locals: Map<string, Value>): Value {
    let out = '';
    let sensitive = false;
    for (const part of expr.parts) {
      if (typeof part === 'string') {
        out += part;
        continue;
      }
      const [v, s] = deepUnmark(this.evaluate(part, locals));
      sensitive ||= s;
      if (v === null)
        throw new DiagnosticError(
          'Invalid template interpolation value',
          'The expression result is null. Cannot include a null value in a string template.',
          part.span,
        );
      if (typeof v === 'object' && !(v instanceof HclNumber))
        throw new DiagnosticError(
          'Invalid template interpolation value',
          `Cannot include the given value in a string template: string required, got ${typeName(v)}.`,
          part.span,
        );
      out += String(v);
    }
    return mark(out.normalize('NFC'), sensitive);
  }

  private binary(expr: Extract<Expr, { kind: 'binary' }>, locals: Map<string, Value>): Value {
    // HCL evaluates and type-checks both operands, also of && and || (no short-circuit).
    const [l, ls] = deepUnmark(this.evaluate(expr.left, locals));
    const [r, rs] = deepUnmark(this.evaluate(expr.right, locals));
    const s = ls || rs;
    if (expr.op !== '==' && expr.op !== '!=' && (l === null || r === null))
      throw new DiagnosticError('Operation failed', `Error during operation: argument must not be null.`, expr.span);
    if (expr.op === '&&' || expr.op === '||') {
      const lb = this.bool(l, expr.left.span, 'left operand');
      const rb = this.bool(r, expr.right.span, 'right operand');
      return mark(expr.op === '&&' ? lb && rb : lb || rb, s);
    }
    if (expr.op === '==') return mark(deepEqual(l, r), s);
    if (expr.op === '!=') return mark(!deepEqual(l, r), s);
    const a = this.number(l, expr.left.span, 'left operand');
    const b = this.number(r, expr.right.span, 'right operand');
    try {
      switch (expr.op) {
        case '<':
          return mark(a.cmp(b) < 0, s);
        case '>':
          return mark(a.cmp(b) > 0, s);
        case '<=':
          return mark(a.cmp(b) <= 0, s);
        case '>=':
          return mark(a.cmp(b) >= 0, s);
        case '+':
          return mark(a.add(b), s);
        case '-':
          return mark(a.sub(b), s);
        case '*':
          return mark(a.mul(b), s);
        case '/':
          return mark(a.div(b), s);
        case '%':
          return mark(a.mod(b), s);
      }
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      throw new DiagnosticError('Operation failed', `Error during operation: ${err.message}.`, expr.span);
    }
  }

  /** What a for expression or directive iterates: the locals of each pass (its key and value
   *  bound: list indexes, sorted map keys), and whether the collection was sensitive. */
  private iterate(
    e: { collection: Expr; keyVar?: string; valueVar: string },
    locals: Map<string, Value>,
  ): { passes: Map<string, Value>[]; sensitive: boolean } {
    const [coll, s] = deepUnmark(this.evaluate(e.collection, locals));
    const pass = (k: Value, v: Value) => {
      const inner = new Map(locals).set(e.valueVar, mark(v, s));
      return e.keyVar ? inner.set(e.keyVar, k) : inner;
    };
    if (Array.isArray(coll)) return { passes: coll.map((v, i) => pass(HclNumber.of(i), v)), sensitive: s };
    if (isObject(coll))
      return {
        passes: Object.keys(coll)
          .sort()
          .map((k) => pass(mark(k, s), coll[k])),
        sensitive: s,
      };
    throw new DiagnosticError(
      'Iteration over non-iterable value',
      `A value of type ${typeName(coll)} cannot be used as the collection in a for expression.`,
      e.collection.span,
    );
  }

  private forExpr(expr: Extract<Expr, { kind: 'for' }>, locals: Map<string, Value>): Value {
    const { passes, sensitive: s } = this.iterate(expr, locals);
    const listOut: Value[] = [];
    const objOut: Record<string, Value[] | Value> = {};
    for (const inner of passes) {
      if (expr.cond) {
        const [c] = deepUnmark(this.evaluate(expr.cond, inner));
        if (!this.bool(c, expr.cond.span, 'condition')) continue;
      }
      const value = this.evaluate(expr.valueExpr, inner);
      if (!expr.keyExpr) {
        listOut.push(value);
        continue;
      }
      const [rawKey] = deepUnmark(this.evaluate(expr.keyExpr, inner));
      // Keys become strings, as HCL converts them: 1 is "1", true is "true".
      const key = asString(rawKey);
      if (key === undefined)
        throw new DiagnosticError(
          'Invalid object key',
          `The key expression produced ${typeName(rawKey)}; a string is required.`,
          expr.keyExpr.span,
        );
      if (expr.grouping) ((objOut[key] ??= []) as Value[]).push(value);
      else if (key in objOut)
        throw new DiagnosticError(
          'Duplicate object key',
          `Two elements produced the key ${JSON.stringify(key)}. Use "..." after the value to group them.`,
          expr.keyExpr.span,
        );
      else objOut[key] = value;
    }
    return mark(expr.keyExpr ? (objOut as ObjectValue) : listOut, s);
  }

  private bool(v: Value, span: Span, what: string): boolean {
    if (typeof v === 'boolean') return v;
    if (v === 'true' || v === 'false') return v === 'true';
    throw new DiagnosticError(
      'Invalid operand',
      `Unsuitable value for ${what}: a bool is required, got ${typeName(v)}.`,
      span,
    );
  }

  private number(v: Value, span: Span, what: string): HclNumber {
    const n = asNumber(v);
    if (n) return n;
    throw new DiagnosticError(
      'Invalid operand',
      `Unsuitable value for ${what}: a number is required, got ${typeName(v)}.`,
      span,
    );
  }
}

/** Where an expression starts, as HCL points errors about a function argument. */
function startSpan(e: Expr): Span {
  const first = (s: Span) => s.file.span(s.start, s.start + 1);
  switch (e.kind) {
    case 'template': {
      const only = e.parts.length === 1 ? e.parts[0] : undefined;
      if (only !== undefined && typeof only !== 'string') return e.span; // "${x}" stands for x
      if (e.leadSpan) return e.leadSpan;
      const head = e.parts[0];
      return head && typeof head !== 'string' ? startSpan(head) : e.span;
    }
    case 'getattr':
    case 'index':
      return namePath(e) ? e.span : startSpan(e.target);
    case 'call':
      return e.headSpan;
    case 'conditional':
      return startSpan(e.cond);
    case 'binary':
      return startSpan(e.left);
    case 'paren':
      return startSpan(e.expr);
    case 'unary':
    case 'tuple':
    case 'object':
    case 'for':
      return first(e.span);
    case 'splat':
      return startSpan(e.source);
    default:
      return e.span;
  }
}

/** Where a splat's current element sits among the locals: not a name any expression can spell. */
const SPLAT_ITEM = '\u0000splat';

const INCONSISTENT = Symbol('inconsistent');

/** A conditional's result in the type both branches share: a number or bool becomes a string when
 *  the other branch is a string, element by element in tuples of one length and objects of one
 *  set of keys (HCL's other unifications, e.g. to a list or map, are not followed). */
function unify(chosen: Value, other: Value): Value | typeof INCONSISTENT {
  const [c, sensitive] = deepUnmark(chosen);
  const [o] = deepUnmark(other);
  if (c === null || o === null || c instanceof BlockRef || o instanceof BlockRef) return chosen;
  const scalar = (v: Value) => typeof v === 'string' || typeof v === 'boolean' || v instanceof HclNumber;
  if (scalar(c) && scalar(o)) {
    if (typeName(c) === typeName(o)) return chosen;
    if (typeof o === 'string' || typeof c === 'string') return mark(String(c), sensitive);
    return INCONSISTENT;
  }
  if (scalar(c) !== scalar(o)) return INCONSISTENT;
  if (Array.isArray(c) && Array.isArray(o) && c.length === o.length) {
    const out: Value[] = [];
    for (let i = 0; i < c.length; i++) {
      const u = unify(c[i], o[i]);
      if (u === INCONSISTENT) return u;
      out.push(u);
    }
    return mark(out, sensitive);
  }
  if (isObject(c) && isObject(o)) {
    const keys = Object.keys(c).sort();
    if (keys.join('\u0000') !== Object.keys(o).sort().join('\u0000')) return chosen;
    const out: ObjectValue = {};
    for (const k of keys) {
      const u = unify(c[k], o[k]);
      if (u === INCONSISTENT) return u;
      out[k] = u;
    }
    return mark(out, sensitive);
  }
  return chosen;
}

export function undeclared(path: string[], span: Span): DiagnosticError {
  const [root, a, b] = path;
  switch (root) {
    case 'var':
      return new DiagnosticError(
        'Reference to undeclared input variable',
        `An input variable with the name "${a}" has not been declared. Declare it with a variable "${a}" {} block.`,
        span,
      );
    case 'local':
      return new DiagnosticError(
        'Reference to undeclared local value',
        `A local value with the name "${a}" has not been declared.`,
        span,
      );
    case 'policy':
      return new DiagnosticError(
        'Reference to undeclared policy',
        `A policy with the name "${a}" has not been declared.`,
        span,
      );
    case 'source':
      return new DiagnosticError(
        'Reference to undeclared source',
        `A source "${a}" "${b}" has not been declared.`,
        span,
      );
    default:
      return new DiagnosticError('Invalid reference', `"${path.join('.')}" is not a valid reference.`, span);
  }
}
