// The boot test forwards a host port into a guest through qemu's human monitor (HMP) where qemu runs
// without libvirt: here against a real qemu, paused before its firmware (no guest needed).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hmp } from '../../src/executors/boot-test.js';
import { requireTool } from '../../src/tools/known-tools.js';
import { freePort, tempDir } from '../helpers.js';

describe("qemu's monitor (real qemu, paused)", () => {
  const socket = join(tempDir(), 'monitor.sock');
  let qemu: ReturnType<typeof spawn>;
  before(async () => {
    qemu = spawn(requireTool('qemu-system-x86_64'), [
      ...['-machine', 'q35,accel=tcg', '-S', '-display', 'none', '-nodefaults'],
      ...['-netdev', 'user,id=n0', '-device', 'virtio-net-pci,netdev=n0'],
      ...['-monitor', `unix:${socket},server=on,wait=off`],
    ]);
    for (let i = 0; i < 100 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 100));
  });
  after(() => qemu.kill('SIGKILL'));

  it('a forwarding is added quietly, shows in the user network, and a wrong netdev is an error', async () => {
    const port = await freePort();
    assert.equal(await hmp(socket, `hostfwd_add n0 tcp:127.0.0.1:${port}-10.0.2.15:8080`), '');
    const usernet = (await hmp(socket, 'info usernet')) ?? '';
    assert.match(usernet, new RegExp(String.raw`HOST_FORWARD\]\s+\d+\s+127\.0\.0\.1 ${port}\s+10\.0\.2\.15\s+8080`));
    assert.equal(await hmp(socket, 'hostfwd_add nX tcp:127.0.0.1:1-10.0.2.15:80'), "unrecognized netdev id 'nX'");
  });

  it('a monitor that is not there is no answer', async () => {
    assert.equal(await hmp(join(tempDir(), 'none.sock'), 'info status'), undefined);
  });
});
