// Runtime values of the configuration language: JSON-like data plus two wrappers.
// Sensitive marks a secret: it renders as "(sensitive)" everywhere (JSON, strings, util.inspect),
// so a secret cannot leak through a log line or a plan file by accident; reveal() is explicit.
// BlockRef is what `source.local.lab` or `policy.linux` evaluates to: an address plus attributes.
import { inspect } from 'node:util';
import { HclNumber } from './number.js';

export type Value = null | boolean | HclNumber | string | Value[] | ObjectValue | Sensitive | BlockRef;
export interface ObjectValue {
  [key: string]: Value;
}

export const REDACTED = '(sensitive)';

export class Sensitive {
  readonly #value: Value;
  constructor(value: Value) {
    this.#value = value;
  }
  reveal(): Value {
    return this.#value;
  }
  toJSON(): string {
    return REDACTED;
  }
  toString(): string {
    return REDACTED;
  }
  [inspect.custom](): string {
    return REDACTED;
  }
}

export class BlockRef {
  constructor(
    readonly address: string,
    readonly attrs: ObjectValue,
  ) {}
  toJSON(): string {
    return this.address;
  }
}

export function isObject(v: Value): v is ObjectValue {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Sensitive) &&
    !(v instanceof BlockRef) &&
    !(v instanceof HclNumber)
  );
}

/** Strips every Sensitive wrapper, reporting whether any was found. */
export function deepUnmark(v: Value): [Value, boolean] {
  if (v instanceof Sensitive) return [deepUnmark(v.reveal())[0], true];
  if (Array.isArray(v)) {
    let any = false;
    const out = v.map((x) => {
      const [u, s] = deepUnmark(x);
      any ||= s;
      return u;
    });
    return [out, any];
  }
  if (isObject(v)) {
    let any = false;
    const out: ObjectValue = {};
    for (const [k, x] of Object.entries(v)) {
      const [u, s] = deepUnmark(x);
      any ||= s;
      out[k] = u;
    }
    return [out, any];
  }
  return [v, false];
}

export function mark(v: Value, sensitive: boolean): Value {
  return sensitive && !(v instanceof Sensitive) ? new Sensitive(v) : v;
}

export function typeName(v: Value): string {
  if (v instanceof Sensitive) return typeName(v.reveal());
  if (v instanceof BlockRef) return `reference to ${v.address}`;
  if (v === null) return 'null';
  if (v instanceof HclNumber) return 'number';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

export function deepEqual(a: Value, b: Value): boolean {
  if (a instanceof BlockRef || b instanceof BlockRef)
    return a instanceof BlockRef && b instanceof BlockRef && a.address === b.address;
  if (a instanceof HclNumber || b instanceof HclNumber)
    return a instanceof HclNumber && b instanceof HclNumber && a.equals(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObject(a) || isObject(b)) {
    if (!isObject(a) || !isObject(b)) return false;
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && deepEqual(a[k], b[k]));
  }
  return a === b;
}

/** A value from typed data (the decoded configuration, JSON): JS numbers become HclNumbers. */
export function fromPlain(v: unknown): Value {
  if (typeof v === 'number') return HclNumber.of(v);
  if (Array.isArray(v)) return v.map(fromPlain);
  if (v instanceof Sensitive || v instanceof BlockRef || v instanceof HclNumber) return v;
  if (typeof v === 'object' && v !== null)
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromPlain(x)]));
  return v as Value;
}

/** Renders a value for humans (diagnostics, plan text); secrets stay redacted. */
export function show(v: Value): string {
  return JSON.stringify(v) ?? 'null';
}
