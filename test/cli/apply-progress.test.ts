// Apply's progress without a terminal: every stage event is a line, progress at most one per 10 s per
// VM and stage. The clock is the test's.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { throttledProgress } from '../../src/cli/apply-progress.js';
import type { ApplyEvent } from '../../src/operations/apply-vm.js';

describe('progress in a log', () => {
  it('passes every event but progress, which it keeps to one per 10 s per VM and stage', () => {
    let t = 0;
    const seen: string[] = [];
    const emit = throttledProgress(
      (e) => seen.push(`${e.vm} ${e.kind} ${'message' in e ? e.message : ''}`),
      10_000,
      () => t,
    );
    const progress = (vm: string, message: string): ApplyEvent => ({
      kind: 'stage-progress',
      vm,
      stage: 'fetch',
      message,
    });
    emit({ kind: 'stage-start', vm: 'a', stage: 'fetch' });
    emit(progress('a', '1'));
    t = 4_000;
    emit(progress('a', '2'));
    emit(progress('b', '1'));
    emit({ kind: 'stage-step', vm: 'a', stage: 'fetch', message: 'disk 2' });
    t = 10_000;
    emit(progress('a', '3'));
    t = 13_999;
    emit(progress('b', '2'));
    t = 14_000;
    emit(progress('b', '3'));
    assert.deepEqual(seen, [
      'a stage-start ',
      'a stage-progress 1',
      'b stage-progress 1',
      'a stage-step disk 2',
      'a stage-progress 3',
      'b stage-progress 3',
    ]);
  });
});
