// A disk's allocated bytes as the plan records them are a property of the image, not of the file
// holding it: the same image copied, or with host blocks reserved under it, has the same data bytes.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { dataBytes } from '../../src/tools/qemu-img.js';
import { tempDir } from '../helpers.js';

describe('qemu-img: data bytes', () => {
  it('count the data extents of the image and its chain, whatever the host file occupies', async () => {
    const dir = tempDir();
    const base = join(dir, 'base.raw');
    await execa('truncate', ['-s', '64M', base]);
    await execa('qemu-io', ['-f', 'raw', '-c', 'write -P 7 0 1M', base]);
    assert.equal(await dataBytes(base, 'raw'), 2 ** 20);
    // Space the host filesystem reserves (as it may after writeback) is not data of the image.
    await execa('fallocate', ['-o', '8M', '-l', '32M', base]);
    assert.ok(statSync(base).blocks * 512 >= 33 * 2 ** 20);
    assert.equal(await dataBytes(base, 'raw'), 2 ** 20);
    const top = join(dir, 'top.qcow2');
    await execa('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', base, top]);
    await execa('qemu-io', ['-f', 'qcow2', '-c', 'write -P 8 8M 512k', top]);
    assert.equal(await dataBytes(top, 'qcow2'), 2 ** 20 + 2 ** 19);
    const copy = join(dir, 'copy.raw');
    await execa('cp', ['--sparse=always', base, copy]);
    assert.equal(await dataBytes(copy, 'raw'), await dataBytes(base, 'raw'));
  });
});
