// What the appliance and boot-test watches call full: a real tmpfs filled to the last byte.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { execa } from 'execa';
import { filesystemFull } from '../../src/util/files.js';
import { tempDir } from '../helpers.js';

describe('filesystemFull', () => {
  const dir = tempDir('h2k-fsfull-');
  after(async () => execa('umount', ['-l', dir], { reject: false }));

  it('is false with room, true once a write fails for lack of it', async () => {
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir]);
    assert.equal(filesystemFull(dir), false);
    writeFileSync(join(dir, 'half'), Buffer.alloc(2 * 2 ** 20));
    assert.equal(filesystemFull(dir), false, '2 MiB of 4 used');
    assert.throws(() => writeFileSync(join(dir, 'more'), Buffer.alloc(4 * 2 ** 20)), { code: 'ENOSPC' });
    assert.equal(filesystemFull(dir), true);
    assert.equal(filesystemFull('/nonexistent-h2k-dir'), false, 'a directory that is not there is not full');
  });
});
