// What the appliance and boot-test watches call full: a real tmpfs filled to the last byte.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { execa } from 'execa';
import { filesystemFull, fullWatch } from '../../src/util/files.js';
import { tempDir } from '../helpers.js';

describe('filesystemFull', () => {
  const dir = tempDir('h2k-fsfull-');
  after(async () => execa('umount', ['-l', dir], { reject: false }));

  it('is false with room, true once a write fails for lack of it', async () => {
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', dir]);
    assert.equal(filesystemFull(dir), false);
    writeFileSync(join(dir, 'half'), Buffer.alloc(8 * 2 ** 20));
    assert.equal(filesystemFull(dir), false, '8 MiB of 16 used');
    assert.throws(() => writeFileSync(join(dir, 'more'), Buffer.alloc(16 * 2 ** 20)), { code: 'ENOSPC' });
    assert.equal(filesystemFull(dir), true);
    assert.equal(filesystemFull('/nonexistent-h2k-dir'), false, 'a directory that is not there is not full');
  });

  it("full with 1.2 MiB free, where an appliance's 1280 KiB write no longer fits and qemu stopped it", () => {
    rmSync(join(dir, 'more'), { force: true });
    rmSync(join(dir, 'half'));
    writeFileSync(join(dir, 'most'), Buffer.alloc(16 * 2 ** 20 - 1229 * 2 ** 10));
    assert.equal(filesystemFull(dir), true);
  });

  it('a watch says full on the second look in a row, and only while the VM is stalled', () => {
    let stalled = false;
    const look = fullWatch([dir], () => stalled);
    assert.equal(look(), undefined, 'running');
    assert.equal(look(), undefined, 'still running: a nearly full disk is not a stop');
    stalled = true;
    assert.equal(look(), undefined, 'one look can catch a moment');
    assert.equal(look(), dir);
    stalled = false;
    assert.equal(look(), undefined, 'it went on');
  });
});
