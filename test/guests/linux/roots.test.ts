import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { candidates, osFromRelease, parseSubvolumes } from '../../../src/guests/linux/roots.js';
import { shellVars } from '../../../src/guests/linux/shell-vars.js';

// The listing libguestfs 1.48 gave for the SLES disk of btrfs-snapshots.test.ts, its kernel having
// named the guest's disk sdb: the device itself is translated back, its subvolumes are not. The
// default subvolume (snapshot 1) is not listed.
const SLES_LISTING = [
  '/dev/sda1: unknown',
  '/dev/sda2: btrfs',
  'btrfsvol:/dev/sdb2/@: btrfs',
  'btrfsvol:/dev/sdb2/@/.snapshots: btrfs',
  'btrfsvol:/dev/sdb2/@/var: btrfs',
  'btrfsvol:/dev/sdb2/@/.snapshots/2/snapshot: btrfs',
  'btrfsvol:/dev/sdb2/@/.snapshots/3/snapshot: btrfs',
  '',
].join('\n');

describe('a Linux root without inspect-os', () => {
  it('checks plain devices only, never a subvolume or a snapshot', () => {
    assert.deepEqual(candidates(SLES_LISTING), [{ device: '/dev/sda2', type: 'btrfs' }]);
    assert.deepEqual(candidates('/dev/sda1: vfat\n/dev/system/root: ext4\n/dev/system/swap: swap\n'), [
      { device: '/dev/sda1', type: 'vfat' },
      { device: '/dev/system/root', type: 'ext4' },
    ]);
  });

  it('leaves NTFS, LUKS and other kinds to inspect-os', () => {
    assert.equal(candidates('/dev/sda1: ntfs\n/dev/sdb1: btrfs\n'), undefined);
    assert.equal(candidates('/dev/sda1: ext4\n/dev/sda2: crypto_LUKS\n'), undefined);
  });

  it('reads os-release as libguestfs does: ID, PRETTY_NAME, VERSION_ID', () => {
    const sles = shellVars(
      'NAME="SLES"\nVERSION_ID="15.5"\nPRETTY_NAME="SUSE Linux Enterprise Server 15 SP5"\nID="sles"\n',
    );
    assert.deepEqual(osFromRelease(sles), {
      distro: 'sles',
      product: 'SUSE Linux Enterprise Server 15 SP5',
      major: 15,
      minor: 5,
    });
    // Without PRETTY_NAME libguestfs keeps the distro and version and says the product is unknown.
    assert.deepEqual(osFromRelease(shellVars('NAME="openSUSE Leap"\nVERSION_ID="15.5"\nID="opensuse-leap"\n')), {
      distro: 'opensuse',
      product: 'unknown',
      major: 15,
      minor: 5,
    });
    assert.deepEqual(osFromRelease(shellVars("ID=fedora\nVERSION_ID=39\nPRETTY_NAME='Fedora Linux 39'\n")), {
      distro: 'fedora',
      product: 'Fedora Linux 39',
      major: 39,
      minor: 0,
    });
  });

  it('names every opensuse- flavour opensuse, as libguestfs does', () => {
    assert.equal(osFromRelease(shellVars('ID="opensuse-microos"\nVERSION_ID="20241201"\n'))?.distro, 'opensuse');
  });

  it('answers only for the distributions whose reading it is sure of', () => {
    // Debian's minor version comes from /etc/debian_version in libguestfs: inspect-os's to read.
    assert.equal(osFromRelease(shellVars('ID=debian\nVERSION_ID="12"\n')), undefined);
    assert.equal(osFromRelease(shellVars('NAME=nothing\n')), undefined);
  });

  it('reads the subvolume paths of btrfs-subvolume-list by ID', () => {
    const text = [
      '[0] = {',
      '  btrfssubvolume_id: 256',
      '  btrfssubvolume_top_level_id: 5',
      '  btrfssubvolume_path: @',
      '}',
      '[1] = {',
      '  btrfssubvolume_id: 258',
      '  btrfssubvolume_top_level_id: 257',
      '  btrfssubvolume_path: @/.snapshots/1/snapshot',
      '}',
    ].join('\n');
    assert.deepEqual(
      [...parseSubvolumes(text)],
      [
        [256, '@'],
        [258, '@/.snapshots/1/snapshot'],
      ],
    );
  });
});
