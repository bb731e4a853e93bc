// The import rules (.dependency-cruiser.cjs) are enforced by `npm test`; this shows they bite: an
// upward import added to a leaf folder, a driver importing another driver, and a cycle, each make
// dependency-cruiser fail.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { REPO } from '../helpers.js';

const cruise = (files: string[]) =>
  execa('npx', ['depcruise', ...files, '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], {
    cwd: REPO,
    reject: false,
  });

/** Writes probe files into src/ for one check, and always removes them. */
async function withProbes(probes: Record<string, string>, check: () => Promise<void>): Promise<void> {
  try {
    for (const [p, text] of Object.entries(probes)) writeFileSync(join(REPO, p), text);
    await check();
  } finally {
    for (const p of Object.keys(probes)) rmSync(join(REPO, p), { force: true });
  }
}

describe('import rules', () => {
  it('the source tree passes them', async () => {
    const r = await cruise(['src']);
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
  });

  it('an upward import (model/ importing cli/) fails them', async () => {
    const probe = 'src/model/zz-upward-probe.ts';
    await withProbes({ [probe]: "export { openState } from '../cli/state.js';\n" }, async () => {
      const r = await cruise([probe]);
      assert.notEqual(r.exitCode, 0);
      assert.match(r.stdout, /layer-model: src\/model\/zz-upward-probe\.ts → src\/cli\/state\.ts/);
    });
  });

  it('a source driver importing another driver fails them (each driver is one sealed folder)', async () => {
    const probe = 'src/providers/vsphere/zz-sideways-probe.ts';
    await withProbes({ [probe]: "export { local } from '../local/index.js';\n" }, async () => {
      const r = await cruise([probe]);
      assert.notEqual(r.exitCode, 0);
      assert.match(r.stdout, /source-drivers-are-sealed: src\/providers\/vsphere\/zz-sideways-probe\.ts/);
    });
  });

  it('a cycle between two files of one folder fails them', async () => {
    const a = 'src/util/zz-cycle-a.ts';
    const b = 'src/util/zz-cycle-b.ts';
    const probes = {
      [a]: "import { b } from './zz-cycle-b.js';\nexport const a = () => b;\n",
      [b]: "import { a } from './zz-cycle-a.js';\nexport const b = () => a;\n",
    };
    await withProbes(probes, async () => {
      const r = await cruise([a]);
      assert.notEqual(r.exitCode, 0);
      assert.match(r.stdout, /no-circular/);
    });
  });
});
