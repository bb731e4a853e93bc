// The boot test's machine ends with the process that runs it, however that ends: through libvirtd
// (the transient domain is gone: its qemu is killed and libvirt forgets it) and, where no libvirtd
// answers, through qemu directly, which the verdict then names. A kill -9 runs none of h2k's code:
// the reaper does it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import type { BootVerdict } from '../../src/executors/boot-test.js';
import { REPO, tempDir } from '../helpers.js';

const DRIVER = join(REPO, 'dist', 'test', 'e2e', 'boot-driver.js');

/** The qemu processes whose command line names this guest. */
function qemuFor(needle: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        const cmd = readFileSync(`/proc/${e}/cmdline`, 'latin1');
        return cmd.includes('qemu-system') && cmd.includes(needle);
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function until(what: string, ok: () => Promise<boolean> | boolean, ms: number): Promise<void> {
  for (const end = Date.now() + ms; !(await ok()); await new Promise((r) => setTimeout(r, 200)))
    if (Date.now() > end) throw new Error(`no ${what} within ${ms / 1000} s`);
}

const domains = async () => (await execa('virsh', ['list', '--all', '--name'])).stdout.split('\n').filter(Boolean);

async function blankDisk(): Promise<{ disk: string; work: string }> {
  const work = tempDir();
  const disk = join(work, 'blank.qcow2');
  await execa('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '64M']);
  return { disk, work };
}

describe('the boot machine dies with h2k', () => {
  it('kill -9 mid-boot: the transient libvirt domain and its qemu are gone', async () => {
    const { disk, work } = await blankDisk();
    const child = spawn(process.execPath, [DRIVER, disk, work], { stdio: 'ignore' });
    const name = `h2k-validate-blank-${child.pid}`;
    try {
      await until(`domain ${name}`, async () => (await domains()).includes(name), 120_000);
      // libvirtd lists a transient domain while it is still starting its qemu (seen under load).
      await until(`the qemu of ${name}`, () => qemuFor(`guest=${name},`).length > 0, 60_000);
      assert.equal(qemuFor(`guest=${name},`).length, 1, 'one qemu runs the domain');
      child.kill('SIGKILL');
      await until('end of the transient domain', async () => !(await domains()).includes(name), 20_000);
      assert.deepEqual(qemuFor(`guest=${name},`), []);
    } finally {
      child.kill('SIGKILL');
    }
  });

  // The shipped domain asks libvirt for Secure Boot with enrolled keys; what proves OVMF enforces it is
  // the unsigned UEFI shell (its fallback boot entry on a blank disk) refused, through libvirtd and
  // through qemu directly.
  for (const via of ['libvirtd', 'qemu'] as const)
    it(`Secure Boot is enforced through ${via}: the unsigned UEFI shell is refused`, async () => {
      const { disk, work } = await blankDisk();
      const env =
        via === 'qemu'
          ? { ...process.env, LIBVIRT_DEFAULT_URI: `qemu:///system?socket=${join(work, 'none.sock')}` }
          : process.env;
      const r = await execa(process.execPath, [DRIVER, disk, work, '90', 'secure-boot'], { env, reject: false });
      const verdict = JSON.parse(r.stdout) as BootVerdict;
      assert.equal(verdict.passed, false);
      assert.match(verdict.via, via === 'qemu' ? /^qemu/ : /^libvirt/);
      assert.match(
        readFileSync(join(work, 'boot-serial.log'), 'latin1'),
        /failed to start Boot\d+ "EFI Internal Shell".*: Security Violation/,
      );
    });

  it('without libvirtd: qemu directly, named in the verdict; it too dies with a kill -9', async () => {
    const { disk, work } = await blankDisk();
    // A libvirt URI whose socket does not exist: no libvirtd answers this process.
    const env = { ...process.env, LIBVIRT_DEFAULT_URI: `qemu:///system?socket=${join(work, 'none.sock')}` };
    const timedOut = await execa(process.execPath, [DRIVER, disk, join(work, 'a'), '5'], { env });
    const verdict = JSON.parse(timedOut.stdout) as BootVerdict;
    assert.equal(verdict.passed, false);
    assert.match(verdict.via, /^qemu \(no libvirtd answers \(.*none\.sock/);
    const child = spawn(process.execPath, [DRIVER, disk, join(work, 'b')], { env, stdio: 'ignore' });
    const overlay = join(work, 'b', 'boot-overlay.qcow2');
    try {
      await until('qemu', () => qemuFor(overlay).length === 1, 60_000);
      child.kill('SIGKILL');
      await until('end of qemu', () => qemuFor(overlay).length === 0, 20_000);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
