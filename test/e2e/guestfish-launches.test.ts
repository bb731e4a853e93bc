// Launches are counted from the appliance processes libguestfs reports having started, not
// declared: a second launch shows as a second count. A launch that does not come up in time is
// killed with its appliance and tried once more (a hung appliance kernel cannot be caused at will:
// a timeout shorter than any launch stands in for one).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { GuestfishSession } from '../../src/tools/guestfish.js';
import { cacheDir } from '../../src/tools/locate.js';
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
        // It boots the host kernel as h2k unpacked it (appliance-kernel.ts), from h2k's own cache.
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        const kernel = argv[argv.indexOf('-kernel') + 1] ?? '';
        assert.ok(kernel.startsWith(join(cacheDir(), 'appliance')), kernel);
        assert.equal(readFileSync(kernel).readUInt32BE(0), 0x7f454c46, `${kernel} is not an ELF image`);
        pids.push(pid);
        assert.equal(GuestfishSession.launches, before + i);
      } finally {
        await g.close();
      }
    }
    assert.notEqual(pids[0], pids[1]);
  });

  it('a launch past its time is killed with its qemu, launched once more, then an error', async () => {
    const disk = join(tempDir(), 'hung-launch.qcow2');
    await execa('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '16M']);
    process.env.H2K_APPLIANCE_LAUNCH_TIMEOUT = '3';
    try {
      await assert.rejects(
        GuestfishSession.launch([{ path: disk, format: 'qcow2' }], { readonly: true }),
        /^Error: the libguestfs appliance did not come up in 3 s, twice$/,
      );
    } finally {
      delete process.env.H2K_APPLIANCE_LAUNCH_TIMEOUT;
    }
    await new Promise((r) => setTimeout(r, 2000));
    const using = readdirSync('/proc').filter((p) => {
      try {
        return /^\d+$/.test(p) && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(disk);
      } catch {
        return false;
      }
    });
    assert.deepEqual(using, [], 'a process still holds the disk');
  });
});
