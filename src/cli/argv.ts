// Terraform users type single-dash long options (-var, -out=plan, -detailed-exitcode). oclif wants
// two dashes; accept both by rewriting the single-dash form before parsing.
import { UserError } from '../util/errors.js';

const LONG_SINGLE_DASH = /^-[a-z][a-z0-9]*(-[a-z0-9]+)*(=.*)?$/;
/** Booleans Terraform-style users write as -name=false; oclif spells that --no-name. */
const NEGATABLE = ['inspect'];

export function normalizeArgv(argv: string[]): string[] {
  const out: string[] = [];
  let rest = false;
  for (const a of argv) {
    if (rest || a === '--') {
      rest = true;
      out.push(a);
      continue;
    }
    const long = a.length > 2 && LONG_SINGLE_DASH.test(a) ? `-${a}` : a;
    const neg = /^--([a-z-]+)=(true|false)$/.exec(long);
    out.push(neg && NEGATABLE.includes(neg[1]) ? (neg[2] === 'true' ? `--${neg[1]}` : `--no-${neg[1]}`) : long);
  }
  return out;
}

/** A duration flag's value (30s, 5m, 1h, 500ms; a bare number is seconds) in milliseconds. */
export function parseDuration(s: string, flag: string): number {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(s.trim());
  if (!m) throw new UserError(`${flag} ${s} is not a duration`, 'use a number with s, m or h, like 30s or 5m');
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's']!;
}
