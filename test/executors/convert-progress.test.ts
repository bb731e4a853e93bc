// CONVERT's progress comes from qemu-img itself (-p): a real conversion reports its percent.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { lastLine } from '../../src/executors/boot-test.js';
import { convertImages } from '../../src/executors/convert.js';
import { tempDir } from '../helpers.js';

describe('progress of long work', () => {
  it("CONVERT reports qemu-img's percent per output disk", async () => {
    const dir = tempDir();
    const raw = join(dir, 'data.raw');
    writeFileSync(raw, randomBytes(32 * 2 ** 20));
    const overlay = join(dir, 'fixed.qcow2');
    await execa('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'qcow2', raw, overlay]);
    const seen: string[] = [];
    const out = join(dir, 'out', 'vm.qcow2');
    await convertImages({
      overlays: [overlay],
      outs: [out],
      format: 'qcow2',
      compress: false,
      onProgress: (m) => seen.push(m),
    });
    assert.ok(existsSync(out));
    assert.ok(seen.length > 0, 'no progress');
    for (const m of seen) assert.match(m, /^vm\.qcow2: \d+ %/);
    assert.match(seen[seen.length - 1], /^vm\.qcow2: 100 %$/);
  });
  it("the boot's progress shows the guest's last console line, without escapes", () => {
    assert.equal(
      lastLine('BIOS\r\n\x1b[2J\x1b[01;01H[    1.2] Loading\x07 initramfs\r\n\r\n'),
      '[    1.2] Loading initramfs',
    );
    assert.equal(lastLine('[  OK  ] Started a\r[  **  ] Starting b\r'), '[  **  ] Starting b');
    assert.equal(lastLine(''), '');
    assert.equal(lastLine(`${'x'.repeat(150)}\n`).length, 100);
  });
});
