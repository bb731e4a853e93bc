// Parser comparison: h2k's own HCL parser vs hcl2-parser (HashiCorp's Go parser via GopherJS) on
// the example configuration. Reported as a ratio from the same process, plus what each can report
// on a syntax error.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DiagnosticError } from '../src/schema/diagnostics.js';
import { parseFile } from '../src/schema/parser.js';
import { SourceFile } from '../src/schema/source-file.js';

export async function benchParse(repo: string): Promise<Record<string, unknown>> {
  const dir = join(repo, 'examples');
  const texts = readdirSync(dir)
    .filter((f) => f.endsWith('.h2k.hcl'))
    .map((f) => readFileSync(join(dir, f), 'utf8'));
  const t0 = performance.now();
  const { default: hcl } = await import('hcl2-parser');
  const loadMs = performance.now() - t0;
  const rounds = 200;
  const time = (fn: () => void) => {
    for (let i = 0; i < 20; i++) fn();
    const s = performance.now();
    for (let i = 0; i < rounds; i++) fn();
    return (performance.now() - s) / rounds;
  };
  const oursMs = time(() => texts.forEach((t) => parseFile(new SourceFile('x', t))));
  const theirsMs = time(() => texts.forEach((t) => hcl.parseToObject(t)));
  // Three mistakes: h2k reports what HCL reports (the first two: an error in an expression while it
  // is recovering from an earlier one is not reported); hcl2-parser reports none.
  const broken = 'policy "p" {\n  trim =\n}\nvm "a" { cpus = 1, memory = 2 }\nvm "b" {\n  cpus = )\n}\n';
  const ourError = parseFile(new SourceFile('x.h2k.hcl', broken))
    .errors.map((d: DiagnosticError) => {
      const p = d.span!.file.pos(d.span!.start);
      return `x.h2k.hcl:${p.line}:${p.column}: ${d.summary}`;
    })
    .join('; ');
  return {
    'hcl2-parser module load (ms)': Number(loadMs.toFixed(1)),
    'parse all examples, h2k (ms)': Number(oursMs.toFixed(3)),
    'parse all examples, hcl2-parser (ms)': Number(theirsMs.toFixed(3)),
    'ratio h2k / hcl2-parser': Number((oursMs / theirsMs).toFixed(2)),
    'syntax errors, h2k': ourError,
    'syntax errors, hcl2-parser': JSON.stringify(hcl.parseToObject(broken)),
  };
}
