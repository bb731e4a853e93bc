import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { unifiedDiff } from '../../src/util/unified-diff.js';
import { tempDir } from '../helpers.js';

// GNU diff is the reference: our hunks must be exactly what `diff -u` prints.
async function gnu(a: string, b: string): Promise<string> {
  const d = tempDir();
  writeFileSync(join(d, 'a'), a);
  writeFileSync(join(d, 'b'), b);
  const r = await execa('diff', ['-u', '--label', 'a', '--label', 'b', join(d, 'a'), join(d, 'b')], {
    reject: false,
    stripFinalNewline: false,
  });
  return r.stdout;
}

describe('unifiedDiff matches diff -u', () => {
  const lines = (n: number, f = (i: number) => `line ${i}`) =>
    Array.from({ length: n }, (_, i) => `${f(i)}\n`).join('');
  const cases: [string, string, string][] = [
    ['one changed line', lines(10), lines(10, (i) => (i === 4 ? 'CHANGED' : `line ${i}`))],
    ['two distant hunks', lines(40), lines(40, (i) => (i === 2 || i === 30 ? 'X' : `line ${i}`))],
    ['two close hunks merge', lines(20), lines(20, (i) => (i === 5 || i === 10 ? 'X' : `line ${i}`))],
    ['append', lines(5), `${lines(5)}new 1\nnew 2\n`],
    ['delete at start', lines(8), lines(8).split('\n').slice(2).join('\n')],
    ['from empty', '', 'a\nb\n'],
    ['missing final newline', 'a\nb\n', 'a\nb'],
    ['fstab rewrite', '# c\n/dev/disk/by-path/x-part1 / ext4 defaults 0 1\n', '# c\nUUID=1234 / ext4 defaults 0 1\n'],
  ];
  for (const [name, a, b] of cases) it(name, async () => assert.equal(unifiedDiff(a, b, 'a', 'b'), await gnu(a, b)));
  it('identical texts give no diff', () => assert.equal(unifiedDiff('x\n', 'x\n', 'a', 'b'), ''));
});
