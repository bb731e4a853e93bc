import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diskIndex, diskLetters } from '../../src/util/disk-letters.js';

describe('disk letters', () => {
  it('names disks as Linux does, past z too, and reads the names back', () => {
    assert.deepEqual([0, 1, 25, 26, 27, 701, 702].map(diskLetters), ['a', 'b', 'z', 'aa', 'ab', 'zz', 'aaa']);
    for (const i of [0, 25, 26, 701, 702]) assert.equal(diskIndex(diskLetters(i)), i);
  });
});
