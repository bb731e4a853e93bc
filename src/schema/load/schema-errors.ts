// Validating a block's values against its JSON Schema, and turning ajv's errors into diagnostics
// at the argument they concern (secrets never shown).
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Attribute } from '../ast.js';
import { BACKEND_TYPES, configSchema } from '../config-schema.js';
import type { Diagnostics } from '../diagnostics.js';
import type { Span } from '../source-file.js';
import type { SourceSchema } from '../source-types.js';
import { HclNumber } from '../number.js';
import { BlockRef, type Value, deepUnmark, isObject, typeName } from '../values.js';
import { suggest } from '../../util/did-you-mean.js';
import { CHECK_KINDS, type CheckKind } from '../../model/service-check.js';

export interface Validators {
  policy: ValidateFunction;
  vm: ValidateFunction;
  /** By source type. */
  sources: Record<string, ValidateFunction>;
  /** By backend type. */
  backends: Record<string, ValidateFunction>;
  /** A policy's check blocks, by kind. */
  checks: Record<CheckKind, ValidateFunction>;
}

const cache = new WeakMap<SourceSchema[], Validators>();

/** One validator per block kind, compiled once per list of source types. */
export function compileValidators(sourceTypes: SourceSchema[]): Validators {
  const cached = cache.get(sourceTypes);
  if (cached) return cached;
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: false });
  ajv.addSchema(configSchema(sourceTypes), 'config');
  const get = (d: string) => ajv.compile({ $ref: `config#/definitions/${d}` });
  const sources = Object.fromEntries(sourceTypes.map((t) => [t.type, get(`source_${t.type}`)]));
  const backends = Object.fromEntries(BACKEND_TYPES.map((t) => [t, get(`backend_${t}`)]));
  const checks = Object.fromEntries(CHECK_KINDS.map((k) => [k, get(`check_${k}`)])) as Record<
    CheckKind,
    ValidateFunction
  >;
  const validators = { policy: get('policy'), vm: get('vm'), sources, backends, checks };
  cache.set(sourceTypes, validators);
  return validators;
}

/** Plain JSON for the validator: secrets unwrapped (types still checked), references as addresses. */
export function plain(values: Record<string, Value>): Record<string, unknown> {
  const conv = (v: Value): unknown => {
    if (v instanceof BlockRef) return v.address;
    const [u] = deepUnmark(v);
    if (Array.isArray(u)) return u.map(conv);
    if (isObject(u)) return Object.fromEntries(Object.entries(u).map(([k, x]) => [k, conv(x)]));
    if (u instanceof HclNumber) return u.toNumber();
    return u;
  };
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, conv(v)]));
}

export function validateBody(
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
    case 'pattern': {
      const pattern = (e.params as { pattern: string }).pattern;
      const what = (e.parentSchema as { description?: string }).description ?? `a string matching ${pattern}`;
      diags.error('Invalid value', `The ${label} must be ${what}; got ${shown(e.data)}.`, span);
      return;
    }
    case 'minimum':
    case 'maximum':
    case 'minItems':
    case 'minProperties':
    case 'minLength': {
      const limit = (e.params as { limit: number }).limit;
      const text: Record<string, string> = {
        minimum: `at least ${limit}`,
        maximum: `at most ${limit}`,
        minItems: `a list of at least ${limit} element(s)`,
        minProperties: `an object with at least ${limit} key(s)`,
        minLength: limit === 1 ? 'a non-empty string' : `at least ${limit} characters`,
      };
      diags.error('Invalid value', `The ${label} must be ${text[e.keyword]}; got ${shown(e.data)}.`, span);
      return;
    }
    case 'uniqueItems': {
      const { i } = e.params as { i: number };
      const twice = shown((e.data as unknown[])[i]);
      diags.error('Invalid value', `The ${label} names ${twice} twice; each element may appear once.`, span);
      return;
    }
    case 'not': {
      // A schema says in its description what its `not` forbids.
      const rule = (e.parentSchema as { description?: string }).description ?? 'is not allowed';
      diags.error('Invalid value', `The ${label} ${rule}; got ${shown(e.data)}.`, span);
      return;
    }
    default:
      diags.error('Invalid value', `The ${label} ${e.message ?? 'is invalid'}.`, span);
  }
}

function containsSecret(v: Value | undefined): boolean {
  return v !== undefined && deepUnmark(v)[1];
}
