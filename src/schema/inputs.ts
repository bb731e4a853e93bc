// Values for input variables, from (lowest to highest precedence) defaults, H2K_VAR_name
// environment variables, then -var-file and -var in the order given on the command line.
import { existsSync, readFileSync } from 'node:fs';
import type { Body } from './ast.js';
import { DiagnosticError, type Diagnostics } from './diagnostics.js';
import { Evaluator, references } from './evaluate.js';
import { parseJsonFile } from './json-syntax.js';
import { parseExpression, parseFile } from './parser.js';
import { SourceFile, type Span } from './source-file.js';
import { convert, typeString } from './types.js';
import type { TypeConstraint } from './ast.js';
import { Sensitive, type Value } from './values.js';

export type VarInput = { kind: 'var'; text: string } | { kind: 'file'; path: string };

export interface DeclaredVariable {
  name: string;
  type: TypeConstraint;
  defaultValue?: Value;
  sensitive: boolean;
  description?: string;
  headerSpan: Span;
}

const CONSTANT_SCOPE = { var: {}, local: {}, source: {}, policy: {}, fn: { baseDir: '.', env: {} } };

/** Evaluates an expression that may not reference anything (defaults, -var values, var files). */
export function evaluateConstant(body: Body['attributes'][number]['expr'], what: string): Value {
  const refs = references(body);
  if (refs.length > 0)
    throw new DiagnosticError(
      'Variables not allowed',
      `${what} cannot refer to ${refs[0].path.join('.')}: it must be a constant value.`,
      refs[0].span,
    );
  return new Evaluator(CONSTANT_SCOPE).evaluate(body);
}

export function resolveInputs(
  declared: Map<string, DeclaredVariable>,
  inputs: VarInput[],
  env: Record<string, string | undefined>,
  diags: Diagnostics,
): Record<string, Value> {
  const raw = new Map<string, { value: Value; from: string; span?: Span }>();
  /** Given but unusable: already diagnosed, so not "missing" as well. */
  const rejected = new Set<string>();

  const fromString = (v: DeclaredVariable, text: string, origin: string): Value | undefined => {
    // Primitive types take the raw string (converted later); collections are parsed as HCL.
    if (['string', 'any', 'number', 'bool'].includes(v.type.kind)) return text;
    try {
      return evaluateConstant(parseExpression(new SourceFile(origin, text)), `The value for var.${v.name}`);
    } catch (err) {
      if (!(err instanceof DiagnosticError)) throw err;
      diags.error(
        'Invalid value for input variable',
        `The value given by ${origin} for var.${v.name} is not a valid ${typeString(v.type)}: ${err.detail}`,
      );
      return undefined;
    }
  };

  for (const [key, text] of Object.entries(env).sort()) {
    if (!key.startsWith('H2K_VAR_') || text === undefined) continue;
    const name = key.slice('H2K_VAR_'.length);
    const v = declared.get(name);
    if (!v) continue; // Other tools' environment is none of our business.
    const value = fromString(v, text, `environment variable ${key}`);
    if (value !== undefined) raw.set(name, { value, from: `environment variable ${key}` });
    else rejected.add(name);
  }

  for (const input of inputs) {
    if (input.kind === 'var') {
      const eq = input.text.indexOf('=');
      if (eq <= 0) {
        // Not echoed: a malformed -var may be a bare secret.
        diags.error(
          'Invalid -var option',
          'A -var option is not correctly specified. It must be a variable name and value separated by an ' +
            'equals sign, like -var key=value.',
        );
        continue;
      }
      const name = input.text.slice(0, eq);
      const v = declared.get(name);
      if (!v) {
        diags.error(
          'Value for undeclared variable',
          `A variable named "${name}" was assigned on the command line, but the configuration does not declare ` +
            `a variable of that name. To use this value, add a variable "${name}" {} block.`,
        );
        continue;
      }
      const value = fromString(v, input.text.slice(eq + 1), `-var ${name}=...`);
      if (value !== undefined) raw.set(name, { value, from: `-var ${name}=...` });
      else rejected.add(name);
      continue;
    }
    if (!existsSync(input.path)) {
      diags.error(
        'Failed to read variables file',
        `The file ${JSON.stringify(input.path)} given with -var-file does not exist.`,
      );
      continue;
    }
    const file = new SourceFile(input.path, readFileSync(input.path, 'utf8'));
    // A .json variables file is HCL's JSON syntax: every property is a value.
    const { body, errors } = input.path.endsWith('.json')
      ? parseJsonFile(file, { labels: () => undefined })
      : parseFile(file);
    for (const err of errors) diags.error(err.summary, err.detail, err.span);
    if (errors.length) continue;
    for (const block of body.blocks)
      diags.error(
        'Unexpected block in variables file',
        'A variables file may only assign values, like name = "value".',
        block.headerSpan,
      );
    for (const attr of body.attributes) {
      const v = declared.get(attr.name);
      if (!v) {
        diags.warning(
          'Value for undeclared variable',
          `The variables file assigns "${attr.name}", but the configuration does not declare a variable of that name.`,
          attr.nameSpan,
        );
        continue;
      }
      try {
        raw.set(attr.name, {
          value: evaluateConstant(attr.expr, `The value for var.${attr.name}`),
          from: input.path,
          span: attr.expr.span,
        });
      } catch (err) {
        if (!(err instanceof DiagnosticError)) throw err;
        diags.error(err.summary, err.detail, err.span);
        rejected.add(attr.name);
      }
    }
  }

  const out: Record<string, Value> = {};
  for (const v of declared.values()) {
    const given = raw.get(v.name);
    const value = given ? given.value : v.defaultValue;
    if (rejected.has(v.name) && !given) continue;
    if (value === undefined) {
      diags.error(
        'No value for required variable',
        `The input variable "${v.name}" is not set and has no default value. Use -var ${v.name}=..., ` +
          `-var-file, or set H2K_VAR_${v.name}.`,
        v.headerSpan,
      );
      continue;
    }
    const converted = convert(value, v.type);
    if ('error' in converted) {
      const from = given ? given.from : 'its default';
      diags.error(
        'Invalid value for input variable',
        `The value from ${from} is not suitable for var.${v.name}: ${converted.error}.`,
        given?.span ?? v.headerSpan,
      );
      continue;
    }
    out[v.name] = v.sensitive && converted.value !== null ? new Sensitive(converted.value) : converted.value;
  }
  return out;
}
