import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRadioactive, locate, resolveSpec, stableSpec } from '../../../src/guests/linux/device-names.js';

const FS = [
  { device: '/dev/sda1', disk_index: 0, partition: 1, type: 'ext4', uuid: 'AAAA-1', label: 'root', partuuid: 'p-1' },
  { device: '/dev/sda2', disk_index: 0, partition: 2, type: 'swap', uuid: 'AAAA-2' },
  { device: '/dev/sdb1', disk_index: 1, partition: 1, type: 'xfs', uuid: 'BBBB-1' },
];

describe('device names', () => {
  it('knows which names are radioactive', () => {
    for (const s of ['/dev/disk/by-path/pci-0000:03:00.0-scsi-0:0:0:0-part1', '/dev/sda1', '/dev/hdb2', '/dev/sdab1'])
      assert.ok(isRadioactive(s), s);
    for (const s of ['UUID=x', 'LABEL=y', '/dev/mapper/vg-root', '/dev/vda1', 'tmpfs']) assert.ok(!isRadioactive(s), s);
  });
  it('maps VMware controller paths and kernel names to disk and partition', () => {
    assert.deepEqual(locate('/dev/disk/by-path/pci-0000:03:00.0-scsi-0:0:1:0-part2'), { diskIndex: 1, partition: 2 });
    assert.deepEqual(locate('/dev/disk/by-path/pci-0000:00:10.0-sas-0:0:0:0'), { diskIndex: 0, partition: 0 });
    assert.deepEqual(locate('/dev/sdb1'), { diskIndex: 1, partition: 1 });
    assert.deepEqual(locate('/dev/sdaa3'), { diskIndex: 26, partition: 3 });
    assert.deepEqual(locate('/dev/hda1'), { diskIndex: 0, partition: 1 });
  });
  it("resolves a by-id name by the disks' WWNs (scsi-3…, wwn-0x…); other hardware names stay unresolved", () => {
    const wwns = [null, '6000c29f5b3e1c0d7a8e4f2b1c9d0e11'];
    assert.ok(isRadioactive('/dev/disk/by-id/scsi-36000c29f5b3e1c0d7a8e4f2b1c9d0e11-part1'));
    assert.ok(!isRadioactive('/dev/disk/by-id/dm-name-vg-root'));
    assert.equal(
      resolveSpec('/dev/disk/by-id/scsi-36000c29f5b3e1c0d7a8e4f2b1c9d0e11-part1', FS, wwns)?.device,
      '/dev/sdb1',
    );
    assert.equal(
      resolveSpec('/dev/disk/by-id/wwn-0x6000C29F5B3E1C0D7A8E4F2B1C9D0E11-part1', FS, wwns)?.device,
      '/dev/sdb1',
    );
    assert.equal(resolveSpec('/dev/disk/by-id/scsi-36000c29f5b3e1c0d7a8e4f2b1c9d0e11-part1', FS), undefined);
    assert.equal(resolveSpec('/dev/disk/by-id/scsi-SVMware_Virtual_disk_6000c29f5b3e1c0d-part1', FS, wwns), undefined);
  });
  it('resolves specs to filesystems by path, UUID, LABEL, PARTUUID', () => {
    assert.equal(resolveSpec('/dev/disk/by-path/pci-0000:03:00.0-scsi-0:0:0:0-part2', FS)?.device, '/dev/sda2');
    assert.equal(resolveSpec('/dev/sdb1', FS)?.device, '/dev/sdb1');
    assert.equal(resolveSpec('UUID=aaaa-1', FS)?.device, '/dev/sda1');
    assert.equal(resolveSpec('LABEL=root', FS)?.device, '/dev/sda1');
    assert.equal(resolveSpec('/dev/disk/by-uuid/BBBB-1', FS)?.device, '/dev/sdb1');
    assert.equal(resolveSpec('/dev/sdc1', FS), undefined);
  });
  it('builds the stable replacement per mode', () => {
    assert.equal(stableSpec(FS[0], 'uuid'), 'UUID=AAAA-1');
    assert.equal(stableSpec(FS[0], 'partuuid'), 'PARTUUID=p-1');
    assert.equal(stableSpec(FS[0], 'label'), 'LABEL=root');
    assert.equal(stableSpec(FS[2], 'label'), undefined);
  });
});
