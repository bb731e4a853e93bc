import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rootSpecs, subvolumeMounts } from '../../../src/guests/linux/inspect.js';

const BY_ID = '/dev/disk/by-id/scsi-36000c29d4e5f60718293a4b5c6d7e8f9';
const SLES_FSTAB = [
  `${BY_ID}-part2 / btrfs defaults 0 0`,
  `${BY_ID}-part2 /var btrfs subvol=/@/var 0 0`,
  `${BY_ID}-part2 /usr/local btrfs subvol=/@/usr/local 0 0`,
  `${BY_ID}-part2 /.snapshots btrfs subvol=/@/.snapshots 0 0`,
  `${BY_ID}-part2 /boot/grub2/i386-pc btrfs noatime,subvol=/@/boot/grub2/i386-pc 0 0`,
  `${BY_ID}-part3 swap swap defaults 0 0`,
  'UUID=0c0f-1e2d /data btrfs subvolid=261 0 0',
  '',
].join('\n');
const resolve = (spec: string) =>
  spec.startsWith(`${BY_ID}-part2`) ? '/dev/sda2' : spec.startsWith('UUID=0c0f') ? '/dev/sdb1' : undefined;

describe('btrfs subvolumes FIX mounts', () => {
  it("SUSE's subvolumes of the root's filesystem, by their subvol= option, shallow first; never /.snapshots", () => {
    assert.deepEqual(subvolumeMounts(SLES_FSTAB, '/dev/sda2', resolve), [
      { mountpoint: '/var', device: '/dev/sda2', options: 'subvol=/@/var' },
      { mountpoint: '/usr/local', device: '/dev/sda2', options: 'subvol=/@/usr/local' },
      { mountpoint: '/boot/grub2/i386-pc', device: '/dev/sda2', options: 'subvol=/@/boot/grub2/i386-pc' },
    ]);
  });

  it("a root in a named subvolume (inspect-os's btrfsvol: name): its filesystem's other subvolumes", () => {
    const fstab = 'UUID=a / btrfs subvol=@,compress=zstd 0 0\nUUID=a /home btrfs subvol=@home 0 0\n';
    assert.deepEqual(
      subvolumeMounts(fstab, 'btrfsvol:/dev/sda2/@', () => '/dev/sda2'),
      [{ mountpoint: '/home', device: '/dev/sda2', options: 'subvol=@home' }],
    );
  });

  it('another filesystem, a name that resolves nowhere, or no btrfs: nothing', () => {
    assert.deepEqual(
      subvolumeMounts(SLES_FSTAB, '/dev/sdb1', () => undefined),
      [],
    );
    assert.deepEqual(
      subvolumeMounts('/dev/sda1 / ext4 defaults 0 1\n', '/dev/sda1', () => '/dev/sda1'),
      [],
    );
  });

  it('a root in a LUKS volume (SLES encrypted): fstab names it by its mapper name or its UUID', () => {
    const fstab = [
      '/dev/mapper/cr_root / btrfs defaults 0 0',
      '/dev/mapper/cr_root /var btrfs subvol=/@/var 0 0',
      'UUID=7A1B-c0de /opt btrfs subvol=/@/opt 0 0',
      `${BY_ID}-part1 /boot ext4 defaults 0 2`,
      '',
    ].join('\n');
    const specs = rootSpecs('/dev/mapper/cr_root', '7a1b-C0DE', () => undefined);
    assert.deepEqual(subvolumeMounts(fstab, '/dev/mapper/cr_root', specs), [
      { mountpoint: '/var', device: '/dev/mapper/cr_root', options: 'subvol=/@/var' },
      { mountpoint: '/opt', device: '/dev/mapper/cr_root', options: 'subvol=/@/opt' },
    ]);
    // Without the root's own names only what resolves to the disks counts: nothing here.
    assert.deepEqual(
      subvolumeMounts(fstab, '/dev/mapper/cr_root', () => undefined),
      [],
    );
  });
});
