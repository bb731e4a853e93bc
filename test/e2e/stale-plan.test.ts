// A saved plan is applied only while it still describes the world: a changed configuration or a
// changed source disk is refused, naming what changed. And no secret reaches any file h2k writes.
import assert from 'node:assert/strict';
import {
  closeSync,
  copyFileSync,
  openSync,
  readFileSync,
  readdirSync,
  statSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { execa } from 'execa';
import { h2k, tempDir, writeConfig } from '../helpers.js';
import { debianFixture } from '../fixtures/debian-guest.js';

const SECRET = 'Tr0ub4dor-and-3';

function allFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? allFiles(join(dir, e.name)) : [join(dir, e.name)],
  );
}

describe('stale plans and secrets (real fixture copy)', { timeout: 15 * 60_000 }, () => {
  let dir: string;
  let disk: string;
  let plannedNs: bigint;
  const main = (memory: number) => `variable "vc_password" {
  sensitive = true
}
source "vsphere" "vc" {
  url      = "https://vc.example/sdk"
  password = var.vc_password
}
source "local" "copy" {
  directory = "DISKDIR"
}
vm "debian" {
  source = source.local.copy
  disks  = ["guest.vmdk"]
  memory = ${memory}
}
`;

  before(async () => {
    const fixture = await debianFixture();
    const disks = tempDir();
    disk = join(disks, 'guest.vmdk');
    copyFileSync(join(fixture, 'debian-vmware-sparse.vmdk'), disk);
    dir = writeConfig({ 'main.h2k.hcl': main(1024).replace('DISKDIR', disks) });
    const r = await h2k(['plan', dir, '-out', join(dir, 'plan.json'), '-var', `vc_password=${SECRET}`, '--no-color']);
    assert.equal(r.exitCode, 0, r.stderr);
    plannedNs = statSync(disk, { bigint: true }).mtimeNs;
  });

  it('refused when the configuration changed', async () => {
    const file = join(dir, 'main.h2k.hcl');
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, original.replace('memory = 1024', 'memory = 2048'));
    try {
      const r = await h2k(['apply', join(dir, 'plan.json'), '-var', `vc_password=${SECRET}`, '--no-color']);
      assert.equal(r.exitCode, 1);
      assert.match(
        r.stderr,
        new RegExp(
          String.raw`^Error: the plan is stale: the configuration changed since it was made\n {2}hint: plan again:` +
            String.raw` h2k plan -out FILE\n$`,
        ),
      );
    } finally {
      writeFileSync(file, original);
    }
  });

  it('refused when the source disk changed (a VM powered on and written to)', async () => {
    const now = statSync(disk);
    utimesSync(disk, now.atime, new Date(now.mtimeMs + 5000));
    const r = await h2k(['apply', join(dir, 'plan.json'), '-var', `vc_password=${SECRET}`, '--no-color']);
    assert.equal(r.exitCode, 1);
    assert.match(
      r.stderr,
      new RegExp(
        String.raw`^Error: vm\.debian: the source changed since the plan was made \(guest\.vmdk\)\n {2}hint: the` +
          String.raw` guest` +
          String.raw` may have been powered on or the disk replaced: run h2k plan again\n$`,
      ),
    );
  });

  it('refused when the disk was replaced by another with the same size and time', async () => {
    const before = statSync(disk);
    const fd = openSync(disk, 'r+');
    writeSync(fd, Buffer.from('replaced content'), 0, 16, Math.floor(before.size / 2 / 4096) * 4096);
    closeSync(fd);
    // Same size and the very mtime the plan saw (to the nanosecond): only the sampled content hash can tell.
    await execa('touch', [
      '-m',
      '-d',
      `@${plannedNs / 1_000_000_000n}.${String(plannedNs % 1_000_000_000n).padStart(9, '0')}`,
      disk,
    ]);
    assert.equal(statSync(disk, { bigint: true }).mtimeNs, plannedNs);
    const r = await h2k(['apply', join(dir, 'plan.json'), '-var', `vc_password=${SECRET}`, '--no-color']);
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /^Error: vm\.debian: the source changed since the plan was made \(guest\.vmdk\)$/m);
  });

  it('the secret is in no file h2k wrote', () => {
    const files = allFiles(dir);
    assert.ok(files.some((f) => f.endsWith('plan.json')) && files.some((f) => f.endsWith('audit.jsonl')));
    for (const f of files) assert.ok(!readFileSync(f).includes(SECRET), `${f} contains the secret`);
  });
});
