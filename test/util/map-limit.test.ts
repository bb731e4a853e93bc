import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { drain } from '../../src/util/map-limit.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('drain', () => {
  it('gives work added late to a worker that is free, not to the one that found it', async () => {
    const log: string[] = [];
    let releaseA!: () => void;
    const aHeld = new Promise<void>((r) => (releaseA = r));
    await drain(['a', 'b'], 2, async (item, more) => {
      log.push(`start ${item}`);
      if (item === 'a') {
        // b's worker is idle by now, waiting while a is busy.
        for (let i = 0; i < 5; i++) await tick();
        more('c');
        await tick();
        await tick();
        releaseA();
      }
      if (item === 'b') return;
      if (item === 'c') await aHeld;
      log.push(`end ${item}`);
    });
    assert.deepEqual(log, ['start a', 'start b', 'start c', 'end a', 'end c']);
  });

  it('ends when the queue is empty and no worker is busy; at most `limit` at once', async () => {
    let now = 0;
    let most = 0;
    const seen: number[] = [];
    await drain([1, 2, 3, 4, 5], 2, async (n, more) => {
      most = Math.max(most, ++now);
      await tick();
      if (n < 3) more(n * 10);
      seen.push(n);
      now--;
    });
    assert.deepEqual(
      seen.sort((a, b) => a - b),
      [1, 2, 3, 4, 5, 10, 20],
    );
    assert.equal(most, 2);
  });

  it('nothing to do: returns', async () => {
    await drain([], 2, async () => assert.fail('no item'));
  });
});
