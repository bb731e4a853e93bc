// Evaluating a block's arguments (null means not set), and a vm's for_each into its instances.
import type { Attribute } from '../ast.js';
import { DiagnosticError, type Diagnostics } from '../diagnostics.js';
import type { Evaluator } from '../evaluate.js';
import { Sensitive, type Value, deepUnmark, isObject, typeName } from '../values.js';

export function evaluateAttrs(
  attrs: Attribute[],
  ev: Evaluator,
  diags: Diagnostics,
): Record<string, Value> | undefined {
  const out: Record<string, Value> = {};
  let ok = true;
  for (const a of attrs) {
    try {
      out[a.name] = ev.evaluate(a.expr);
    } catch (err) {
      if (!(err instanceof DiagnosticError)) throw err;
      diags.error(err.summary, err.detail, err.span);
      ok = false;
    }
    // Like Terraform, an argument set to null counts as not set.
    if (a.name in out && deepUnmark(out[a.name])[0] === null) delete out[a.name];
  }
  return ok ? out : undefined;
}

export function forEachInstances(attr: Attribute, ev: Evaluator, diags: Diagnostics): [string, Value][] | undefined {
  let raw: Value;
  try {
    raw = ev.evaluate(attr.expr);
  } catch (err) {
    if (!(err instanceof DiagnosticError)) throw err;
    diags.error(err.summary, err.detail, err.span);
    return undefined;
  }
  if (raw instanceof Sensitive) {
    diags.error(
      'Invalid for_each argument',
      'Sensitive values cannot be used as for_each arguments: the instance keys would show them in every plan.',
      attr.expr.span,
    );
    return undefined;
  }
  if (Array.isArray(raw)) {
    const keys = new Set<string>();
    for (const item of raw) {
      if (typeof item !== 'string') {
        diags.error(
          'Invalid for_each argument',
          `A for_each list must contain only strings (they become the instance keys); found ${typeName(item)}. ` +
            `Use a map to iterate over objects.`,
          attr.expr.span,
        );
        return undefined;
      }
      keys.add(item);
    }
    return [...keys].sort().map((k) => [k, k]);
  }
  if (isObject(raw))
    return Object.keys(raw)
      .sort()
      .map((k) => [k, raw[k]]);
  diags.error(
    'Invalid for_each argument',
    `The for_each argument must be a map or a list of strings, got ${typeName(raw)}.`,
    attr.expr.span,
  );
  return undefined;
}
