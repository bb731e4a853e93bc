// Disks are plural from facts to outputs: the real fixture as the boot disk plus a data disk. Each
// disk gets its own overlay, both are attached to the one FIX appliance and to the boot test, each
// is converted to its own output, and the domain XML lists both in order. Neither source changes.
import assert from 'node:assert/strict';
import { readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { execa } from 'execa';
import { fileSha256 } from '../../src/util/files.js';
import { h2k, tempDir, writeConfig } from '../helpers.js';
import { debianFixture } from '../fixtures/debian-guest.js';

describe('a VM with two disks (real fixture + a data disk)', { timeout: 40 * 60_000 }, () => {
  let disks: string;
  let dir: string;
  const shas: Record<string, string> = {};

  before(async () => {
    const fixture = await debianFixture();
    disks = tempDir('h2k-two-disks-');
    symlinkSync(join(fixture, 'debian-vmware-sparse.vmdk'), join(disks, 'boot.vmdk'));
    await execa('qemu-img', ['create', '-q', '-f', 'vmdk', join(disks, 'data.vmdk'), '64M']);
    await execa('qemu-io', ['-f', 'vmdk', '-c', 'write -P 0x42 1M 1M', join(disks, 'data.vmdk')]);
    for (const d of ['boot.vmdk', 'data.vmdk']) shas[d] = await fileSha256(join(disks, d));
    dir = writeConfig({
      'main.h2k.hcl': `source "local" "fx" {
  directory = "${disks}"
}

policy "p" {
  output_dir   = "./out"
  boot_timeout = 900
  acknowledge  = ["multi-disk-unsupported"]
}

vm "two" {
  source = source.local.fx
  disks  = ["boot.vmdk", "data.vmdk"]
  policy = policy.p
  memory = 1024
}
`,
    });
  });

  it('plans one output per disk, in disk order', async () => {
    const r = await h2k(['plan', dir, '-out', join(dir, 'plan.json'), '--no-color']);
    assert.equal(r.exitCode, 0, r.stderr);
    const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8'));
    const vm = plan.vms['vm.two'];
    assert.deepEqual(
      vm.facts.disks.map((d: { name: string }) => d.name),
      ['boot.vmdk', 'data.vmdk'],
    );
    assert.deepEqual(vm.outputs.disks, [
      { path: 'out/two.qcow2', format: 'qcow2' },
      { path: 'out/two-disk1.qcow2', format: 'qcow2' },
    ]);
    assert.ok(vm.findings.some((f: { code: string; acknowledged: boolean }) => f.code === 'multi-disk-unsupported'));
    assert.match(r.stdout, /output: out\/two\.qcow2 \(qcow2\), out\/two-disk1\.qcow2 \(qcow2\), out\/two\.xml/);
  });

  it('applies: both disks fixed in one appliance, converted, booted together, listed in the XML in order', async () => {
    const r = await h2k(['apply', join(dir, 'plan.json'), '--no-color']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stderr, /fix: done in [\d.]+ s \(\d+ change\(s\), 1 libguestfs launch\)/);
    assert.match(r.stderr, /validate: done in [\d.]+ s \(boot test passed/);
    const info = async (f: string) =>
      JSON.parse((await execa('qemu-img', ['info', '--output=json', join(dir, 'out', f)])).stdout);
    assert.equal((await info('two-disk1.qcow2'))['virtual-size'], 64 * 2 ** 20);
    // The data disk's content went through FIX and CONVERT untouched.
    const compare = await execa(
      'qemu-img',
      ['compare', '-q', join(disks, 'data.vmdk'), join(dir, 'out', 'two-disk1.qcow2')],
      {
        reject: false,
      },
    );
    assert.equal(compare.exitCode, 0, compare.stderr);
    const xml = readFileSync(join(dir, 'out', 'two.xml'), 'utf8');
    const targets = [...xml.matchAll(/<source file="([^"]+)"\/>\s*<target dev="(vd[a-z])"/g)].map((m) => [m[2], m[1]]);
    assert.deepEqual(targets, [
      ['vda', join(dir, 'out', 'two.qcow2')],
      ['vdb', join(dir, 'out', 'two-disk1.qcow2')],
    ]);
    const state = JSON.parse(readFileSync(join(dir, '.h2k', 'state.json'), 'utf8'));
    assert.deepEqual(
      state.vms['vm.two'].stages.convert.outputs.map((o: { path: string }) => o.path),
      ['out/two.qcow2', 'out/two-disk1.qcow2'],
    );
    for (const d of ['boot.vmdk', 'data.vmdk']) assert.equal(await fileSha256(join(disks, d)), shas[d], `${d} changed`);
  });
});
