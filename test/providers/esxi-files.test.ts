// The ESXi host's own file formats, parsed without a host: .vmx and .vmsd text as ESXi 7 writes it,
// and vim-cmd's VM list (which the OpenSSH stand-in cannot produce).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseGetAllVms } from '../../src/providers/esxi/inventory.js';
import { parseVmsd, parseVmx } from '../../src/providers/esxi/vmx.js';

describe('ESXi files', () => {
  it('reads disks in the order the guest sees them, skipping CD-ROMs and absent devices', () => {
    const vm = parseVmx(
      [
        'displayName = "db |22prod|22"',
        'numvcpus = "4"',
        'memSize = "8192"',
        'firmware = "efi"',
        'sata0:0.present = "TRUE"',
        'sata0:0.fileName = "db_1.vmdk"',
        'scsi0:1.present = "TRUE"',
        'scsi0:1.fileName = "/vmfs/volumes/ds2/db/db_2.vmdk"',
        'scsi0:0.present = "TRUE"',
        'scsi0:0.fileName = "db.vmdk"',
        'scsi0:2.present = "FALSE"',
        'scsi0:2.fileName = "old.vmdk"',
        'ide1:0.present = "TRUE"',
        'ide1:0.deviceType = "cdrom-image"',
        'ide1:0.fileName = "/vmfs/volumes/iso/x.iso"',
        'ethernet0.present = "TRUE"',
        'ethernet0.virtualDev = "vmxnet3"',
        'ethernet0.generatedAddress = "00:0C:29:AA:BB:CC"',
        'ethernet1.present = "TRUE"',
        'ethernet1.address = "00:50:56:00:00:01"',
      ].join('\n'),
      'fallback',
    );
    assert.equal(vm.name, 'db "prod"');
    assert.equal(vm.firmware, 'efi');
    assert.deepEqual(
      vm.disks.map((d) => d.file),
      ['db.vmdk', '/vmfs/volumes/ds2/db/db_2.vmdk', 'db_1.vmdk'],
    );
    assert.deepEqual(
      vm.nics.map((n) => n.mac),
      ['00:0c:29:aa:bb:cc', '00:50:56:00:00:01'],
    );
  });

  it('lists snapshots from the .vmsd', () => {
    assert.deepEqual(parseVmsd('snapshot0.displayName = "a"\nsnapshot1.displayName = "b c"\n'), ['a', 'b c']);
  });

  it("reads vim-cmd's VM list, names with spaces included", () => {
    const out = [
      'Vmid        Name                     File                      Guest OS       Version   Annotation',
      '1      web 01           [datastore1] web 01/web 01.vmx   debian10_64Guest   vmx-14    ',
      '12     db               [ssd] db/db.vmx                  rhel8_64Guest      vmx-19    prod db',
    ].join('\n');
    assert.deepEqual(parseGetAllVms(out, '/vmfs/volumes'), [
      '/vmfs/volumes/datastore1/web 01/web 01.vmx',
      '/vmfs/volumes/ssd/db/db.vmx',
    ]);
  });
});
