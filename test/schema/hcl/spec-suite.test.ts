// HashiCorp's HCL specification suite, run by HashiCorp's own runner (hclspecsuite) against an
// hcldec-compatible program over h2k's parser and evaluator (hcldec.ts).
import assert from 'node:assert/strict';
import { chmodSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { REPO, tempDir } from '../../helpers.js';
import { SPEC_TESTS, specSuiteRunner } from './reference.js';

function specTests(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) return specTests(p);
      return f.endsWith('.t') ? [p.slice(SPEC_TESTS.length + 1, -2)] : [];
    });
}

describe("HCL's specification suite", () => {
  it('passes every test through hclspecsuite, native and JSON inputs', async () => {
    const wrapper = join(tempDir('h2k-hcldec-'), 'hcldec');
    writeFileSync(
      wrapper,
      `#!/bin/sh\nexec '${process.execPath}' '${join(REPO, 'dist', 'test', 'schema', 'hcl', 'hcldec.js')}' "$@"\n`,
    );
    chmodSync(wrapper, 0o755);
    const r = await execa(specSuiteRunner(), [SPEC_TESTS, wrapper], { reject: false });
    const expected = specTests(SPEC_TESTS);
    // The runner prints "- name" when a test begins and again when its problems (if any) follow.
    const ran = new Set(
      r.stdout
        .split('\n')
        .filter((l) => l.startsWith('- '))
        .map((l) => l.slice(2)),
    );
    assert.deepEqual([...ran].sort(), [...expected].sort(), 'every spec test ran');
    assert.ok(expected.length >= 15, `the suite has ${expected.length} tests`);
    assert.equal(r.stderr, '', `problems reported by hclspecsuite:\n${r.stderr}`);
    assert.equal(r.exitCode, 0);
  });
});
