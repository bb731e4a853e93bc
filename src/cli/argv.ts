// Terraform users type single-dash long options (-var, -out=plan, -detailed-exitcode). oclif wants
// two dashes; accept both by rewriting the single-dash form before parsing.
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
