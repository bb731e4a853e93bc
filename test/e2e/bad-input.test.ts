// Bad input to plan: each is one clear error (or a Critical finding), exit 1, and nothing written:
// no state, no outputs, the sources untouched.
import assert from 'node:assert/strict';
import {
  copyFileSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { before, describe, it } from 'node:test';
import { execa } from 'execa';
import { fileSha256 } from '../../src/util/files.js';
import { h2k, tempDir, writeConfig } from '../helpers.js';
import { debianFixture } from '../fixtures/debian-guest.js';

function vmConfig(diskDir: string, disk: string): string {
  return writeConfig({
    'main.h2k.hcl':
      `source "local" "s" {\n  directory = "${diskDir}"\n}\nvm "bad" {\n  source = source.local.s\n  disks  = ` +
      `["${disk}"]\n}\n`,
  });
}

async function planFails(dir: string, error: RegExp, hint: RegExp): Promise<void> {
  const r = await h2k(['plan', dir, '--no-color']);
  assert.equal(r.exitCode, 1, r.stdout + r.stderr);
  assert.match(r.stderr, error);
  assert.match(r.stderr, hint);
  assert.doesNotMatch(r.stderr, /\n\s+at .*\.js:\d+/, 'no stack trace');
  assert.ok(!existsSync(join(dir, '.h2k', 'state.json')), 'no state written');
  assert.ok(!existsSync(join(dir, 'output')), 'no output written');
}

describe('bad input to plan', { timeout: 20 * 60_000 }, () => {
  let fixture: string;
  before(async () => {
    fixture = await debianFixture();
  });

  it('a missing disk file', async () => {
    const d = tempDir();
    await planFails(
      vmConfig(d, 'nope.vmdk'),
      /^Error: vm\.bad: disk file .*nope\.vmdk does not exist$/m,
      /hint: check the vm's disks and the source's directory/,
    );
  });

  it('a truncated VMDK (an interrupted copy)', async () => {
    const d = tempDir();
    const src = join(fixture, 'debian-vmware-sparse.vmdk');
    await pipeline(createReadStream(src, { end: 100 * 2 ** 20 - 1 }), createWriteStream(join(d, 'trunc.vmdk')));
    await planFails(
      vmConfig(d, 'trunc.vmdk'),
      /^Error: vm\.bad: .*trunc\.vmdk is damaged or truncated: ERROR: cluster offset for sector \d+ points after EOF$/m,
      /hint: copy the disk again from its source/,
    );
  });

  it('a hostile descriptor naming a file outside its directory', async () => {
    const d = tempDir();
    const text = readFileSync(join(fixture, 'debian-vmware.vmdk'), 'utf8').replace(
      '"debian-vmware-flat.vmdk"',
      '"../../../etc/passwd"',
    );
    writeFileSync(join(d, 'evil.vmdk'), text);
    await planFails(
      vmConfig(d, 'evil.vmdk'),
      /^Error: vm\.bad: extent path "\.\.\/\.\.\/\.\.\/etc\/passwd" escapes the disk's directory/m,
      /hint: a descriptor may only name files next to it; this one may be hostile/,
    );
  });

  it('a disk with no operating system', async () => {
    const d = tempDir();
    await execa('qemu-img', ['create', '-q', '-f', 'qcow2', join(d, 'blank.qcow2'), '64M']);
    const before = await fileSha256(join(d, 'blank.qcow2'));
    await planFails(
      vmConfig(d, 'blank.qcow2'),
      /^Error: vm\.bad: no filesystems found on the disks$/m,
      /hint: check that disks lists the boot disk first/,
    );
    assert.equal(await fileSha256(join(d, 'blank.qcow2')), before);
  });

  it('an unknown Linux guest: a Critical finding blocks the plan', async () => {
    const d = tempDir();
    // A Linux tree no family knows, on an ext4 partition written by the host's tools (no appliance).
    const tree = tempDir();
    for (const sub of ['etc', 'bin', 'usr/bin']) mkdirSync(join(tree, sub), { recursive: true });
    writeFileSync(join(tree, 'etc', 'fstab'), '/dev/sda1 / ext4 defaults 0 1\n');
    writeFileSync(join(tree, 'etc', 'os-release'), 'ID=frobos\nNAME=FrobOS\n');
    const img = join(d, 'frob.img');
    await execa('truncate', ['-s', '64M', img]);
    await execa('sfdisk', ['-q', img], { input: 'label: dos\nstart=2048, type=83\n' });
    await execa('mke2fs', ['-q', '-F', '-t', 'ext4', '-d', tree, '-E', `offset=${2048 * 512}`, img, '63M']);
    copyFileSync(img, join(d, 'frob.raw'));
    const dir = vmConfig(d, 'frob.raw');
    const r = await h2k(['plan', dir, '--no-color']);
    assert.equal(r.exitCode, 1);
    assert.match(
      r.stdout,
      new RegExp(
        String.raw`CRITICAL \[unknown-guest\] the guest OS is not recognised \(type linux, distro unknown\); h2k` +
          String.raw` cannot` +
          String.raw` plan its fixes`,
      ),
    );
    assert.match(r.stderr, /^Error: 1 critical finding\(s\) block this plan: vm\.bad \[unknown-guest\]$/m);
    assert.ok(!existsSync(join(dir, '.h2k', 'state.json')));
    assert.deepEqual(readdirSync(d).sort(), ['frob.img', 'frob.raw']);
  });
});
