// How plan-time inspections are grouped into appliance launches: in order, at most -inspect-batch
// VMs and 24 disks per launch, a VM with more disks in a launch of its own, and no fewer launches
// than -parallelism while there are VMs for them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batches } from '../../src/operations/gather.js';

const vm = (name: string, disks: number) => ({ name, source: { disks: Array.from({ length: disks }) } });
const names = (groups: { name: string }[][]) => groups.map((g) => g.map((v) => v.name).join(''));

describe('inspection batches', () => {
  it('fills launches in order up to the batch size, as evenly as -parallelism asks', () => {
    const vms = 'abcdefghij'.split('').map((n) => vm(n, 1));
    assert.deepEqual(names(batches(vms, 8, 1)), ['abcde', 'fghij']);
    assert.deepEqual(names(batches(vms.slice(0, 8), 8, 1)), ['abcdefgh']);
    assert.deepEqual(names(batches(vms, 8, 2)), ['abcde', 'fghij']);
    assert.deepEqual(names(batches(vms, 4, 2)), ['abcd', 'efgh', 'ij']);
    assert.deepEqual(names(batches(vms.slice(0, 3), 8, 2)), ['ab', 'c']);
    assert.deepEqual(names(batches(vms, 1, 2)), 'abcdefghij'.split(''));
    assert.deepEqual(names(batches([], 8, 2)), []);
  });

  it('starts a new launch before a VM whose disks would pass 24; a VM with more has its own', () => {
    assert.deepEqual(names(batches([vm('a', 10), vm('b', 10), vm('c', 5), vm('d', 4)], 8, 1)), ['ab', 'cd']);
    assert.deepEqual(names(batches([vm('a', 1), vm('b', 30), vm('c', 1)], 8, 1)), ['a', 'b', 'c']);
  });
});
