import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseScrub } from '../../../src/guests/linux/btrfs-scrub.js';

// As btrfs-progs 6.2 printed them on a loop-mounted filesystem, clean and with three data blocks
// overwritten (stderr folded in, and the exit status, as scrubBtrfs runs it).
const HEAD = [
  'scrub done for 481dc78c-6e71-4826-9288-ba3d58a06aad',
  'Scrub started:    Sun Dec  6 18:10:42 2026',
  'Status:           finished',
  'Duration:         0:00:00',
  'Total to scrub:   184.00MiB',
  'Rate:             0.00B/s',
];
const CLEAN = [...HEAD, 'Error summary:    no errors found', 'exit status 0', ''].join('\n');
const DAMAGED = [
  ...HEAD,
  'Error summary:    csum=3',
  '  Corrected:      0',
  '  Uncorrectable:  3',
  '  Unverified:     0',
  'ERROR: there are uncorrectable errors',
  'exit status 3',
  '',
].join('\n');

describe('the read-only btrfs scrub', () => {
  it('clean: no errors and an exit status of 0', () => {
    assert.deepEqual(parseScrub(CLEAN), { result: 'clean', summary: 'no errors found; 184.00MiB read' });
  });

  it('damage: its error summary', () => {
    assert.deepEqual(parseScrub(DAMAGED), { result: 'damaged', summary: 'csum=3, 3 uncorrectable; 184.00MiB read' });
  });

  it("btrfs-progs 4.x's one line; a scrub that could not run", () => {
    const old =
      'scrub done for 4f1a\n\tscrub started at Mon Jan  1 and finished after 00:00:02\n\t' +
      'total bytes scrubbed: 1.20GiB with 0 errors\nexit status 0\n';
    assert.deepEqual(parseScrub(old), { result: 'clean', summary: 'no errors found; 1.20GiB read' });
    const none = parseScrub('sh: 1: btrfs: not found\nexit status 127\n');
    assert.deepEqual(none, { result: 'not run', summary: 'sh: 1: btrfs: not found' });
  });
});
