// Differential tests: every corpus section and every example is parsed and evaluated by HashiCorp's
// HCL (the oracle) and by h2k. Both must agree on whether the file is valid, on where every syntax
// error is (the set of ranges: HCL sometimes reports one twice), on the blocks, and on each
// attribute's value (or, where evaluating it fails, on its first error's range).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { REPO, exampleFiles, tempDir } from '../../helpers.js';
import { type BodyResult, type Diag, type Result, oracle, ours } from './reference.js';

export function corpus(): { name: string; text: string }[] {
  const text = readFileSync(join(REPO, 'test', 'schema', 'hcl', 'corpus.txt'), 'utf8');
  return text
    .split(/^==== /m)
    .slice(1)
    .map((section) => {
      const nl = section.indexOf('\n');
      return { name: section.slice(0, nl), text: section.slice(nl + 1) };
    });
}

const where = (d: Diag | undefined) =>
  d?.range ? `${d.range.start.line}:${d.range.start.column}-${d.range.end.line}:${d.range.end.column}` : 'none';

function compareBodies(o: BodyResult, u: BodyResult, path: string): string[] {
  const problems: string[] = [];
  const names = new Set([...Object.keys(o.attributes), ...Object.keys(u.attributes)]);
  for (const n of [...names].sort()) {
    const a = o.attributes[n];
    const b = u.attributes[n];
    const at = `${path}${n}`;
    if (!a || !b) {
      problems.push(`${at}: only ${a ? 'HCL' : 'h2k'} has this attribute`);
      continue;
    }
    if (a.value !== undefined || b.value !== undefined) {
      if (a.value !== b.value) problems.push(`${at}: HCL ${a.value ?? 'error'} · h2k ${b.value ?? 'error'}`);
      continue;
    }
    const [da, db] = [a.diagnostics?.[0], b.diagnostics?.[0]];
    if (where(da) !== where(db))
      problems.push(`${at}: HCL error at ${where(da)} (${da?.summary}) · h2k at ${where(db)} (${db?.summary})`);
  }
  if (o.blocks.length !== u.blocks.length) problems.push(`${path}: ${o.blocks.length} vs ${u.blocks.length} blocks`);
  o.blocks.forEach((ob, i) => {
    const ub = u.blocks[i];
    if (!ub) return;
    const head = (b: typeof ob) => [b.type, ...b.labels].join(' ');
    if (head(ob) !== head(ub)) problems.push(`${path}block ${i}: HCL "${head(ob)}" · h2k "${head(ub)}"`);
    else problems.push(...compareBodies(ob.body, ub.body, `${path}${head(ob)}.`));
  });
  return problems;
}

export function differences(o: Result, u: Result): string[] {
  const [oe, ue] = [o.diagnostics.length > 0, u.diagnostics.length > 0];
  if (oe !== ue)
    return [
      oe
        ? `HCL rejects it (${o.diagnostics[0].summary} at ${where(o.diagnostics[0])}), h2k accepts it`
        : `h2k rejects it (${u.diagnostics[0].summary} at ${where(u.diagnostics[0])}), HCL accepts it`,
    ];
  if (oe) {
    const ranges = (r: Result) => [...new Set(r.diagnostics.map(where))].sort().join(' ');
    if (ranges(o) === ranges(u)) return [];
    const list = (r: Result) => r.diagnostics.map((d) => `${where(d)} ${d.summary}`).join('; ');
    return [`errors: HCL ${list(o)} · h2k ${list(u)}`];
  }
  return compareBodies(o.body!, u.body!, '');
}

/** Files whose bytes a text corpus cannot hold as they are: line ends and a byte order mark. */
const BYTES = [
  { name: 'CR LF line ends', text: 'a = 1\r\nb = "x"\r\nc {\r\n  d = <<EOT\r\nhi\r\nEOT\r\n}\r\n' },
  { name: 'a byte order mark', text: '\ufeffa = 1\n' },
];

describe('h2k and HashiCorp HCL agree (differential)', () => {
  const dir = tempDir('h2k-hcl-diff-');
  for (const { name, text } of [...corpus(), ...BYTES])
    it(name, async () => {
      const path = join(dir, `${name.replace(/[^a-z0-9]+/gi, '-')}.hcl`);
      writeFileSync(path, text);
      assert.deepEqual(differences(await oracle(path), ours(path)), []);
    });

  // The examples use the configuration's variables and sources, which a lone file's evaluation does
  // not have: both sides must agree on the syntax, and on every value both can compute.
  for (const file of exampleFiles())
    it(`example ${relative(REPO, file)}`, async () => {
      const [o, u] = [await oracle(file), ours(file)];
      assert.deepEqual(o.diagnostics, [], 'HCL rejects an example');
      assert.deepEqual(u.diagnostics, [], 'h2k rejects an example');
      const both = (r: Result) => computable(r.body!, o.body!, u.body!);
      assert.deepEqual(differences({ diagnostics: [], body: both(o) }, { diagnostics: [], body: both(u) }), []);
    });

  // Typos as users make them: one character of an example deleted, inserted or replaced, at seeded
  // places. HCL and h2k must agree on whether the file is valid (6,000 of them agreed when measured).
  it('one-character mutations of the examples: accepted and rejected alike', async () => {
    const chars = [
      '\n',
      ' ',
      '{',
      '}',
      '=',
      '"',
      ',',
      '[',
      ']',
      '(',
      ')',
      '#',
      '.',
      'a',
      '1',
      '$',
      '%',
      '/',
      '\\',
      '<',
      ':',
    ];
    let seed = 20261203;
    const next = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
    const path = join(dir, 'mutated.hcl');
    const disagree: string[] = [];
    for (const file of exampleFiles()) {
      const text = readFileSync(join(REPO, file), 'utf8');
      for (let k = 0; k < 100; k++) {
        const [at, op, c] = [next(text.length), next(3), chars[next(chars.length)]];
        const rest = text.slice(op === 1 ? at : at + 1);
        const mutated = text.slice(0, at) + (op === 0 ? '' : c) + rest;
        writeFileSync(path, mutated);
        const invalid = (r: Result) => r.diagnostics.some((d) => d.severity === 'error');
        const [o, u] = [invalid(await oracle(path)), invalid(ours(path))];
        if (o !== u)
          disagree.push(`${file} at ${at}: HCL ${o ? 'rejects' : 'accepts'}, h2k ${u ? 'rejects' : 'accepts'}`);
      }
    }
    assert.deepEqual(disagree, []);
  });
});

/** `r` with only the attributes both sides evaluated without error. */
function computable(r: BodyResult, a: BodyResult, b: BodyResult): BodyResult {
  const attributes = Object.fromEntries(
    Object.entries(r.attributes).filter(
      ([k]) => a.attributes[k]?.value !== undefined && b.attributes[k]?.value !== undefined,
    ),
  );
  return {
    attributes,
    blocks: r.blocks.map((x, i) => ({ ...x, body: computable(x.body, a.blocks[i].body, b.blocks[i].body) })),
  };
}
