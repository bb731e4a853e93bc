import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { oncePer } from '../../src/util/once-per.js';

describe('oncePer', () => {
  it('opens on the first call, then at most once per interval', () => {
    let t = 5;
    const due = oncePer(1000, () => t);
    const seen = [0, 400, 999, 1000, 1500, 2100].map((at) => ((t = 5 + at), due()));
    assert.deepEqual(seen, [true, false, false, true, false, true]);
  });
});
