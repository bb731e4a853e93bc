import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lastLine } from '../../src/executors/boot-test.js';
import { consoleTail } from '../../src/operations/report.js';
import { consoleLines } from '../../src/util/console-lines.js';

// The boot's progress line and the report's console tail read one console the same way: these are the
// cases where their two cleaners used to disagree.
describe('a console as a terminal shows it', () => {
  it('a carriage return starts the line again; one at the end keeps what the line shows', () => {
    assert.deepEqual(consoleLines('progress 10%\rprogress 100%\r\n[ ** ] Starting b\r'), [
      'progress 100%',
      '[ ** ] Starting b',
    ]);
  });
  it('escape sequences and control characters go; UTF-8 text and tabs stay', () => {
    const raw = Buffer.from('\x1b[0;1;31m●\x1b[0m unit\tfailed\x07\r\n\x1b(B\x1b=é\n', 'utf8');
    assert.deepEqual(consoleLines(raw.toString('utf8')), ['● unit\tfailed', 'é', '']);
  });
  it('a multi-byte character cut at the end of the log is dropped, not shown as garbage', () => {
    const cut = Buffer.from('login: ●', 'utf8').subarray(0, -1);
    assert.deepEqual(consoleLines(cut.toString('utf8')), ['login: ']);
  });
  it('the progress line and the report agree on the last line', () => {
    const serial = '[  OK  ] Reached target\r\n\x1b[1m●\x1b[0m h2k-boot-probe.service\r';
    assert.equal(lastLine(serial), '● h2k-boot-probe.service');
    assert.equal(consoleTail(serial).split('\n').at(-1), '● h2k-boot-probe.service');
  });
});
