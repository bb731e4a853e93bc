// The pure half of sharing one appliance between VMs: how a VM's own device names map to the
// appliance's and back, and which VMs must not share (clones whose btrfs, LVM or md would mix).
// The shared appliance itself is proven end to end: the fleet's and Windows' plans are batched and
// equal their goldens made one launch per VM, and fleet.test.ts compares a batched VM's plan with
// the same VM's plan from a launch of its own.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conflictingVms, listedDevice, sdName, shiftDevice } from '../../src/tools/shared-appliance.js';
import { diskIndex } from '../../src/util/disk-letters.js';

describe('shared appliance: device names', () => {
  it('names disks as Linux does past sdz, and reads those names back', () => {
    assert.deepEqual([0, 1, 25, 26, 27, 51, 52, 701, 702].map(sdName), [
      'sda',
      'sdb',
      'sdz',
      'sdaa',
      'sdab',
      'sdaz',
      'sdba',
      'sdzz',
      'sdaaa',
    ]);
    for (let i = 0; i < 800; i++) assert.equal(diskIndex(sdName(i).slice(2)), i);
  });

  it("moves a VM's device names to where its disks sit in the appliance, and back", () => {
    assert.equal(shiftDevice('/dev/sda', 2), '/dev/sdc');
    assert.equal(shiftDevice('/dev/sdb12', 25), '/dev/sdaa12');
    assert.equal(
      shiftDevice('btrfsvol:/dev/sda2/@/.snapshots/1/snapshot', 3),
      'btrfsvol:/dev/sdd2/@/.snapshots/1/snapshot',
    );
    assert.equal(shiftDevice('/dev/sdaa12', -25), '/dev/sdb12');
    // Not a device of the appliance's disks: as it is (guest paths, LVM, md).
    for (const other of ['/etc/fstab', '/dev/centos/root', '/dev/mapper/vg-lv', '/dev/md127', '/C/Windows/dev/sda'])
      assert.equal(shiftDevice(other, 4), other);
  });

  it("finds the device a listing's line is about", () => {
    assert.equal(listedDevice('/dev/sda1: ext4'), '/dev/sda1');
    assert.equal(listedDevice('btrfsvol:/dev/sda2/@/home: btrfs'), 'btrfsvol:/dev/sda2/@/home');
    assert.equal(listedDevice('/dev/sdb'), '/dev/sdb');
    assert.equal(
      listedDevice('btrfsvol:/dev/sda2/@/.snapshots/2/snapshot'),
      'btrfsvol:/dev/sda2/@/.snapshots/2/snapshot',
    );
  });
});

describe('shared appliance: who must be inspected alone', () => {
  it('clones sharing a btrfs, PV or md UUID; not ext4, xfs or NTFS clones, not one VM with itself', () => {
    const none = conflictingVms(
      [
        { vm: 0, type: 'ext4', uuid: 'same' },
        { vm: 1, type: 'ext4', uuid: 'same' },
        { vm: 2, type: 'xfs', uuid: 'x' },
        { vm: 3, type: 'xfs', uuid: 'x' },
        // a two-disk btrfs of one VM: its devices share the fsid
        { vm: 4, type: 'btrfs', uuid: 'multi' },
        { vm: 4, type: 'btrfs', uuid: 'multi' },
      ],
      ['vg4'],
    );
    assert.deepEqual([...none], []);
    const clones = conflictingVms(
      [
        { vm: 0, type: 'LVM2_member', uuid: 'AbC-1' },
        { vm: 1, type: 'LVM2_member', uuid: 'abc-1' },
        { vm: 2, type: 'btrfs', uuid: 'f' },
        { vm: 3, type: 'btrfs', uuid: 'f' },
        { vm: 4, type: 'linux_raid_member', uuid: 'm' },
        { vm: 5, type: 'linux_raid_member', uuid: 'm' },
        { vm: 6, type: 'btrfs', uuid: 'g' },
      ],
      ['rhel', 'rhel'],
    );
    assert.deepEqual([...clones].sort(), [0, 1, 2, 3, 4, 5]);
  });

  it('two volume groups of one name (two installs that both kept the default): every VM with a PV', () => {
    const named = conflictingVms(
      [
        { vm: 0, type: 'LVM2_member', uuid: 'a' },
        { vm: 1, type: 'LVM2_member', uuid: 'b' },
        { vm: 2, type: 'ext4', uuid: 'c' },
      ],
      ['rhel', 'rhel'],
    );
    assert.deepEqual([...named].sort(), [0, 1]);
    assert.deepEqual(
      [
        ...conflictingVms(
          [
            { vm: 0, type: 'LVM2_member', uuid: 'a' },
            { vm: 1, type: 'LVM2_member', uuid: 'b' },
          ],
          ['rhel', 'centos'],
        ),
      ],
      [],
    );
  });
});
