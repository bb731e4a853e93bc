import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitSnapshots } from '../../src/guests/inspect.js';
import { crypttabEntries } from '../../src/guests/linux/device-names.js';
import { unknown } from '../../src/guests/unknown.js';

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

describe('encrypted guests', () => {
  it("crypttab's entries: target name and source, comments and blank lines left out", () => {
    const text =
      '# <target> <source> <key> <options>\n\nsda2_crypt UUID=0b1c none luks,discard\n  cr_home\t/dev/sdb1 none\n';
    assert.deepEqual(crypttabEntries(text), [
      { name: 'sda2_crypt', spec: 'UUID=0b1c' },
      { name: 'cr_home', spec: '/dev/sdb1' },
    ]);
  });
  it('a guest with no system outside closed LUKS volumes is Critical, and the finding says how to open them', () => {
    const os = {
      type: 'unknown',
      distro: 'unknown',
      major: 0,
      minor: 0,
      product: 'unknown',
      arch: 'unknown',
      hostname: '',
    };
    const base = { family: 'unknown' as const, os, firmware: 'bios' as const, partition_table: 'dos', filesystems: [] };
    const [finding] = unknown.plan({ ...base, locked: ['/dev/sda2'] }, {} as never, []).findings;
    assert.equal(finding.code, 'luks-root');
    assert.equal(finding.severity, 'critical');
    assert.match(finding.message, /luks_keys = \{ "\/dev\/sda2" = var\.<name> \}/);
    assert.equal(unknown.plan(base, {} as never, []).findings[0].code, 'unknown-guest');
  });
});
