// Launches are counted from the appliance processes libguestfs reports having started, not
// declared: a second launch shows as a second count.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { GuestfishSession } from '../../src/tools/guestfish.js';
import { tempDir } from '../helpers.js';

describe('libguestfs launch count', () => {
  it('counts each appliance actually started (two launches: two)', async () => {
    const disk = join(tempDir(), 'blank.qcow2');
    await execa('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '16M']);
    const before = GuestfishSession.launches;
    const pids: number[] = [];
    for (let i = 1; i <= 2; i++) {
      const g = await GuestfishSession.launch([{ path: disk, format: 'qcow2' }], { readonly: true });
      try {
        const pid = Number((await g.run('get-pid')).trim());
        assert.ok(existsSync(`/proc/${pid}`), `the appliance process ${pid} runs`);
        pids.push(pid);
        assert.equal(GuestfishSession.launches, before + i);
      } finally {
        await g.close();
      }
    }
    assert.notEqual(pids[0], pids[1]);
  });
});
