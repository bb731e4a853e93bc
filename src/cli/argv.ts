// Terraform users type single-dash long options (-var, -out=plan, -detailed-exitcode). oclif wants
// two dashes; accept both by rewriting the single-dash form before parsing.
const LONG_SINGLE_DASH = /^-[a-z][a-z0-9]*(-[a-z0-9]+)*(=.*)?$/;

export function normalizeArgv(argv: string[]): string[] {
  const out: string[] = [];
  let rest = false;
  for (const a of argv) {
    if (rest || a === '--') {
      rest = true;
      out.push(a);
      continue;
    }
    out.push(a.length > 2 && LONG_SINGLE_DASH.test(a) ? `-${a}` : a);
  }
  return out;
}
