// Kill -9 during FIX and during CONVERT, then resume: the crashed stage is redone from a clean
// start, completed stages are not, and the result is what an uninterrupted run produces.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { execa } from 'execa';
import { fileSha256 } from '../../src/util/files.js';
import { GuestfishSession } from '../../src/tools/guestfish.js';
import { h2k, writeConfig } from '../helpers.js';
import { killedAt, unlock } from './interrupt.js';
import { debianFixture } from '../fixtures/debian-guest.js';

describe('kill and resume (real fixture)', { timeout: 40 * 60_000 }, () => {
  let dir: string;
  let sourceSha: string;
  let source: string;

  before(async () => {
    const fixture = await debianFixture();
    source = join(fixture, 'debian-vmware-sparse.vmdk');
    sourceSha = await fileSha256(source);
    // Compression makes CONVERT long enough to be killed in the middle; no boot test here.
    dir = writeConfig({
      'main.h2k.hcl':
        `source "local" "fx" {\n  directory = "${fixture}"\n}\npolicy "p" {\n  output_dir = "./out"\n  compress  ` +
        ` = true\n  boot_test  = false\n}\nvm "debian" {\n  source = source.local.fx\n  disks  = ` +
        `["debian-vmware-sparse.vmdk"]\n  policy = policy.p\n}\n`,
    });
  });

  it('killed during FIX: the next apply redoes FIX from a clean overlay and keeps earlier stages', async () => {
    await killedAt(['apply', dir, '-auto-approve'], /fix: run update-initramfs/, { cleanup: dir });
    const state = JSON.parse(readFileSync(join(dir, '.h2k', 'state.json'), 'utf8'));
    assert.deepEqual(Object.keys(state.vms['vm.debian'].stages).sort(), ['flatten', 'inspect', 'plan']);
    await unlock(dir);
  });

  it('killed during CONVERT: no output is left that looks finished', async () => {
    const partial = join(dir, 'out', 'debian.qcow2.partial');
    const err = await killedAt(['apply', dir, '-auto-approve'], /convert: started/, {
      poll: () => existsSync(partial),
      cleanup: dir,
    });
    assert.doesNotMatch(err, /flatten: started/, 'completed stages must not be redone');
    assert.match(err, /fix: done/);
    assert.ok(!existsSync(join(dir, 'out', 'debian.qcow2')));
    await unlock(dir);
  });

  it('the resumed apply finishes; its output is byte-identical to an uninterrupted conversion', async () => {
    const r = await h2k(['apply', dir, '-auto-approve', '--no-color']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /fix: started/);
    assert.match(r.stderr, /convert: done/);
    const out = join(dir, 'out', 'debian.qcow2');
    // The uninterrupted reference: the same conversion of the same fixed overlay, in one go.
    const ref = join(dir, 'reference.qcow2');
    await execa('qemu-img', [
      'convert',
      '-q',
      '-f',
      'qcow2',
      '-O',
      'qcow2',
      '-c',
      join(dir, '.h2k', 'work', 'debian', 'overlay.qcow2'),
      ref,
    ]);
    assert.equal(await fileSha256(out), await fileSha256(ref));
    assert.equal(await fileSha256(source), sourceSha, 'the source was written');
  });

  it('the redone FIX left exactly the planned guest files in the output', async () => {
    const plan = JSON.parse((await h2k(['plan', dir, '--json', '-replace', 'vm.debian'])).stdout);
    const edits = plan.vms['vm.debian'].actions.find((a: { stage: string }) => a.stage === 'fix').edits as {
      kind: string;
      path: string;
      after?: string;
      target?: string;
    }[];
    const g = await GuestfishSession.launch([{ path: join(dir, 'out', 'debian.qcow2'), format: 'qcow2' }], {
      readonly: true,
    });
    try {
      await g.run('mount-ro', '/dev/sda1', '/');
      for (const e of edits) {
        if (e.kind === 'write') assert.equal(await g.readFile(e.path), e.after, e.path);
        if (e.kind === 'delete') assert.equal((await g.run('exists', e.path)).trim(), 'false', e.path);
        if (e.kind === 'symlink') assert.equal((await g.run('readlink', e.path)).trim(), e.target, e.path);
      }
    } finally {
      await g.close();
    }
  });
});
