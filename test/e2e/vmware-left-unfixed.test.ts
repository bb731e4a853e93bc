// D's variant as VMware and its installer leave it (vm.vmware_left in the fleet: no serial console,
// the NIC known only as ens192, its MAC set by `hwaddress ether`) does not boot on KVM unfixed. It
// differs from D's by_path disk only in its network files, so it is held to the run's shared unfixed
// boot of that disk (shared-debian.ts) by what a BIOS boot reads up to the initramfs's search for
// the root disk, instead of a boot of its own. Its converted boot is in the fleet (fleet.test.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { GuestfishSession } from '../../src/tools/guestfish.js';
import { fileSha256 } from '../../src/util/files.js';
import { debianFixture } from '../fixtures/debian-guest.js';
import { tempDir } from '../helpers.js';
import { debianUnfixedBoot } from './shared-debian.js';

/** What a BIOS boot of each disk reads until its initramfs looks for the root disk: the first MiB
 *  (boot sector and GRUB's core image), and the sha256 of every file under /boot, of the
 *  initramfs-tools configuration and of fstab. One appliance for all. */
async function bootChains(disks: string[]): Promise<Record<string, string>[]> {
  const out = await Promise.all(
    disks.map(async (disk) => {
      const head = join(tempDir(), 'head.raw');
      await execa('qemu-img', ['dd', '-f', 'vmdk', '-O', 'raw', 'bs=1M', 'count=1', `if=${disk}`, `of=${head}`]);
      return { 'first MiB': await fileSha256(head) } as Record<string, string>;
    }),
  );
  const g = await GuestfishSession.launch(
    disks.map((path) => ({ path, format: 'vmdk' })),
    { readonly: true },
  );
  try {
    for (const [i, chain] of out.entries()) {
      const at = `/d${i}`;
      await g.run('mkmountpoint', at);
      await g.run('mount-ro', `/dev/sd${'abcdefgh'[i]}1`, at);
      const sums = join(tempDir(), 'boot.sha256');
      await g.run('checksums-out', 'sha256', `${at}/boot`, sums);
      for (const l of readFileSync(sums, 'utf8').split('\n').filter(Boolean)) {
        const [hash, path] = [l.slice(0, 64), l.slice(64).trim()];
        chain[`/boot/${path.replace(/^\.?\//, '')}`] = hash;
      }
      for (const p of ['/etc/fstab', '/etc/initramfs-tools/modules'])
        chain[p] = (await g.run('checksum', 'sha256', at + p)).trim();
    }
  } finally {
    await g.close();
  }
  return out;
}

describe('fixture D as VMware left it, unfixed', () => {
  it("does not boot on virtio: its boot chain is the by_path disk's, which does not", async () => {
    const fixture = await debianFixture();
    // The variant differs from by_path only in its network files: the boot sector, GRUB's core
    // image, /boot and what the initramfs is built from are the same bytes, so it fails on virtio
    // where by_path fails (the run's shared boot of it), before any network file is read.
    const [left, byPath] = await bootChains([
      join(fixture, 'debian-hwaddr-sparse.vmdk'),
      join(fixture, 'debian-vmware-sparse.vmdk'),
    ]);
    assert.ok(
      Object.keys(left).some((p) => p.startsWith('/boot/initrd.img-')),
      JSON.stringify(left),
    );
    assert.deepEqual(left, byPath);
    const v = await debianUnfixedBoot();
    assert.equal(v.failure, 'the initramfs could not find the root disk');
  });
});
