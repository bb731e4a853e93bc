import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitSnapshots } from '../../src/guests/inspect.js';

// What libguestfs 1.48's inspect-os returns for a SLES root with snapper (seen in the appliance: the
// default subvolume, snapshot 1, is the device itself; every other snapshot is a root of its own).
describe('snapper snapshots are not operating systems', () => {
  it('leaves out the snapshots of a btrfs root and names their subvolumes', () => {
    assert.deepEqual(
      splitSnapshots([
        '/dev/sda2',
        'btrfsvol:/dev/sda2/@/.snapshots/12/snapshot',
        'btrfsvol:/dev/sda2/@/.snapshots/2/snapshot',
      ]),
      { roots: ['/dev/sda2'], snapshots: ['@/.snapshots/12/snapshot', '@/.snapshots/2/snapshot'] },
    );
    // openSUSE without the @ prefix, a root on LVM.
    assert.deepEqual(splitSnapshots(['/dev/vg/root', 'btrfsvol:/dev/vg/root/.snapshots/3/snapshot']), {
      roots: ['/dev/vg/root'],
      snapshots: ['.snapshots/3/snapshot'],
    });
  });
  it('a real second system stays one: multi-boot is still refused', () => {
    assert.deepEqual(splitSnapshots(['/dev/sda1', 'btrfsvol:/dev/sda2/@home']), {
      roots: ['/dev/sda1', 'btrfsvol:/dev/sda2/@home'],
      snapshots: [],
    });
  });
  it('with nothing but snapshots, nothing is left out', () => {
    const found = ['btrfsvol:/dev/sda2/@/.snapshots/1/snapshot', 'btrfsvol:/dev/sda2/@/.snapshots/2/snapshot'];
    assert.deepEqual(splitSnapshots(found), { roots: found, snapshots: [] });
  });
});
