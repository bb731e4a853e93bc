// Progress lines: bytes, percent, the rate since the start and the time left, on a clock the test sets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clock, progressMeter } from '../../src/util/progress-meter.js';

describe('progress meter', () => {
  it('bytes: done of total, percent, MiB/s since the start, time left', () => {
    let t = 1_000_000;
    const m = progressMeter(2048 * 2 ** 20, 'bytes', { now: () => t });
    assert.equal(m(0), '0 of 2048 MiB (0 %)');
    t += 10_000;
    assert.equal(m(512 * 2 ** 20), '512 of 2048 MiB (25 %), 51 MiB/s, 0:30 left');
    t += 30_000;
    assert.equal(m(2048 * 2 ** 20), '2048 of 2048 MiB (100 %), 51 MiB/s');
  });
  it('a resumed download counts only what this run moved in its rate', () => {
    let t = 0;
    const m = progressMeter(1000 * 2 ** 20, 'bytes', { resumedAt: 900 * 2 ** 20, now: () => t });
    t = 10_000;
    assert.equal(m(950 * 2 ** 20), '950 of 1000 MiB (95 %), 5 MiB/s, 0:10 left');
  });
  it('percent, and clocks past an hour', () => {
    let t = 0;
    const m = progressMeter(100, 'percent', { now: () => t });
    t = 20_000;
    assert.equal(m(40), '40 %, 0:30 left');
    assert.equal(clock(3725), '1:02:05');
    assert.equal(clock(59.6), '1:00');
  });
});
