// The built-in functions. Each declares its parameters so argument errors name the parameter;
// implementations see plain values (the evaluator re-marks the result if any argument was secret).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { graphemes } from './graphemes.js';
import { HclNumber } from './number.js';
import { asNumber, asString } from './types.js';
import { type ObjectValue, type Value, deepEqual, isObject, typeName } from './values.js';

type ParamType = 'string' | 'number' | 'list' | 'map' | 'any';
interface Param {
  name: string;
  type: ParamType;
}

export interface FunctionContext {
  baseDir: string;
  env: Record<string, string | undefined>;
}

interface FunctionDef {
  params: Param[];
  optional?: Param[];
  variadic?: Param;
  impl: (args: Value[], ctx: FunctionContext) => Value;
}

/** A function's own failure; the evaluator attaches the call's position. */
export class FunctionError extends Error {
  constructor(
    message: string,
    readonly argIndex?: number,
  ) {
    super(message);
  }
}

const str = (v: Value) => v as string;
const list = (v: Value) => v as Value[];

function formatVerb(verb: string, flags: string, v: Value): string {
  switch (verb) {
    case 's':
    case 'v':
      if (v instanceof HclNumber) return v.toString();
      return typeof v === 'string' ? v : JSON.stringify(v);
    case 'q':
      return JSON.stringify(typeof v === 'string' ? v : JSON.stringify(v));
    case 'd': {
      const n = asNumber(v);
      if (!n || !n.isInteger) throw new FunctionError(`%d requires a whole number, got ${JSON.stringify(v)}`);
      return n.toString();
    }
    case 'f': {
      const n = asNumber(v);
      if (!n) throw new FunctionError(`%f requires a number, got ${JSON.stringify(v)}`);
      const precision = /\.(\d+)/.exec(flags);
      return n.toNumber().toFixed(precision ? Number(precision[1]) : 6);
    }
    case 't':
      if (typeof v !== 'boolean') throw new FunctionError(`%t requires a bool, got ${JSON.stringify(v)}`);
      return String(v);
    default:
      throw new FunctionError(`unsupported format verb %${verb}`);
  }
}

export const FUNCTIONS: Record<string, FunctionDef> = {
  env: {
    params: [{ name: 'name', type: 'string' }],
    optional: [{ name: 'default', type: 'string' }],
    impl: ([name, dflt], ctx) => {
      const v = ctx.env[str(name)];
      if (v !== undefined) return v;
      if (dflt !== undefined) return dflt;
      throw new FunctionError(`environment variable ${str(name)} is not set; pass a default as the second argument`, 0);
    },
  },
  file: {
    params: [{ name: 'path', type: 'string' }],
    impl: ([p], ctx) => {
      const full = resolve(ctx.baseDir, str(p));
      if (!existsSync(full) || !statSync(full).isFile())
        throw new FunctionError(`no file exists at ${JSON.stringify(str(p))}`, 0);
      const buf = readFileSync(full);
      const text = buf.toString('utf8');
      if (Buffer.from(text, 'utf8').compare(buf) !== 0)
        throw new FunctionError(`the file ${JSON.stringify(str(p))} is not valid UTF-8 text`, 0);
      return text;
    },
  },
  lower: { params: [{ name: 'str', type: 'string' }], impl: ([s]) => str(s).toLowerCase() },
  upper: { params: [{ name: 'str', type: 'string' }], impl: ([s]) => str(s).toUpperCase() },
  format: {
    params: [{ name: 'format', type: 'string' }],
    variadic: { name: 'args', type: 'any' },
    impl: ([fmt, ...args]) => {
      let next = 0;
      return str(fmt).replace(/%([-+ 0#]*\d*(?:\.\d+)?)([a-zA-Z%])/g, (_m, flags: string, verb: string) => {
        if (verb === '%') return '%';
        if (next >= args.length)
          throw new FunctionError(`not enough arguments for format string (verb %${verb} has no value)`);
        return formatVerb(verb, flags, args[next++]);
      });
    },
  },
  join: {
    params: [{ name: 'separator', type: 'string' }],
    variadic: { name: 'lists', type: 'list' },
    impl: ([sep, ...lists]) => {
      if (lists.length === 0) throw new FunctionError('at least one list is required');
      const items = lists.flatMap((l) => list(l));
      return items
        .map((it) => {
          const s = asString(it);
          if (s === undefined) throw new FunctionError(`every element must be a string, got ${typeName(it)}`, 1);
          return s;
        })
        .join(str(sep));
    },
  },
  split: {
    params: [
      { name: 'separator', type: 'string' },
      { name: 'str', type: 'string' },
    ],
    impl: ([sep, s]) => (str(s) === '' ? [] : str(s).split(str(sep))),
  },
  concat: { params: [], variadic: { name: 'seqs', type: 'list' }, impl: (lists) => lists.flatMap((l) => list(l)) },
  merge: {
    params: [],
    variadic: { name: 'maps', type: 'any' },
    impl: (maps) => {
      const out: ObjectValue = {};
      maps.forEach((m, i) => {
        if (m === null) return;
        if (!isObject(m)) throw new FunctionError(`every argument must be a map or object, got ${typeName(m)}`, i);
        Object.assign(out, m);
      });
      return out;
    },
  },
  lookup: {
    params: [
      { name: 'inputMap', type: 'map' },
      { name: 'key', type: 'string' },
    ],
    optional: [{ name: 'default', type: 'any' }],
    impl: ([m, k, dflt]) => {
      const obj = m as ObjectValue;
      if (Object.prototype.hasOwnProperty.call(obj, str(k))) return obj[str(k)];
      if (dflt !== undefined) return dflt;
      throw new FunctionError(`the given map has no key ${JSON.stringify(str(k))} and no default was given`, 1);
    },
  },
  coalesce: {
    params: [],
    variadic: { name: 'vals', type: 'any' },
    impl: (vals) => {
      const found = vals.find((v) => v !== null && v !== '');
      if (found === undefined) throw new FunctionError('no non-null, non-empty-string arguments');
      return found;
    },
  },
  tostring: {
    params: [{ name: 'v', type: 'any' }],
    impl: ([v]) => {
      if (v === null) return v;
      const s = asString(v);
      if (s !== undefined) return s;
      throw new FunctionError(`cannot convert ${typeName(v)} to string`, 0);
    },
  },
  tonumber: {
    params: [{ name: 'v', type: 'any' }],
    impl: ([v]) => {
      if (v === null) return v;
      const n = asNumber(v);
      if (n) return n;
      throw new FunctionError(`cannot convert ${JSON.stringify(v)} to number`, 0);
    },
  },
  length: {
    params: [{ name: 'value', type: 'any' }],
    impl: ([v]) => {
      if (typeof v === 'string') return HclNumber.of(graphemes(v));
      if (Array.isArray(v)) return HclNumber.of(v.length);
      if (isObject(v)) return HclNumber.of(Object.keys(v).length);
      throw new FunctionError(`cannot find the length of ${typeName(v)}`, 0);
    },
  },
  keys: { params: [{ name: 'inputMap', type: 'map' }], impl: ([m]) => Object.keys(m as ObjectValue).sort() },
  values: {
    params: [{ name: 'mapping', type: 'map' }],
    impl: ([m]) =>
      Object.keys(m as ObjectValue)
        .sort()
        .map((k) => (m as ObjectValue)[k]),
  },
  contains: {
    params: [
      { name: 'list', type: 'list' },
      { name: 'value', type: 'any' },
    ],
    impl: ([l, v]) => list(l).some((x) => deepEqual(x, v)),
  },
};

/** Checks and converts one argument to its parameter type. */
export function coerceArg(v: Value, p: Param): Value {
  switch (p.type) {
    case 'any':
      return v;
    case 'string': {
      const s = asString(v);
      if (s !== undefined) return s;
      break;
    }
    case 'number': {
      const n = asNumber(v);
      if (n) return n;
      break;
    }
    case 'list':
      if (Array.isArray(v)) return v;
      break;
    case 'map':
      if (isObject(v)) return v;
      break;
  }
  throw new FunctionError(`Invalid value for "${p.name}" parameter: ${p.type} required, got ${typeName(v)}.`);
}

export function signature(name: string): { def: FunctionDef; min: number; max: number } | undefined {
  const def = FUNCTIONS[name];
  if (!def) return undefined;
  const min = def.params.length;
  const max = def.variadic ? Infinity : min + (def.optional?.length ?? 0);
  return { def, min, max };
}

export function paramAt(def: FunctionDef, i: number): Param {
  return def.params[i] ?? def.optional?.[i - def.params.length] ?? def.variadic!;
}
