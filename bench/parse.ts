// Parser comparison: h2k's own HCL parser vs hcl2-parser (HashiCorp's Go parser via GopherJS) on
// the example configuration. Reported as a ratio from the same process, plus what each can report
// on a syntax error.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DiagnosticError } from '../src/schema/diagnostics.js';
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
  const broken = 'policy "p" {\n  trim =\n}\n';
  let ourError = '';
  try {
    parseFile(new SourceFile('x.h2k.hcl', broken));
  } catch (e) {
    const d = e as DiagnosticError;
    const p = d.span!.file.pos(d.span!.start);
    ourError = `x.h2k.hcl:${p.line}:${p.column}: ${d.summary}`;
  }
  return {
    'hcl2-parser module load (ms)': Number(loadMs.toFixed(1)),
    'parse all examples, h2k (ms)': Number(oursMs.toFixed(3)),
    'parse all examples, hcl2-parser (ms)': Number(theirsMs.toFixed(3)),
    'ratio h2k / hcl2-parser': Number((oursMs / theirsMs).toFixed(2)),
    'syntax error, h2k': ourError,
    'syntax error, hcl2-parser': JSON.stringify(hcl.parseToObject(broken)),
  };
}
