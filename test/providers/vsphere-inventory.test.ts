// vm.info -json in both govc styles through the one parser. The PascalCase document was recorded
// from the real govc 0.24.2 against vcsim (a VM with a pvscsi disk, a vmxnet3 NIC and two nested
// snapshots). The camelCase document is NOT a recording: no govc ≥ 0.31 runs here, so it was
// written by hand from the field names govc ≥ 0.31 documents (vim25 JSON tags, `_typeName` on
// each device) to carry the same VM.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { libvirt } from '../../src/outputs/libvirt/index.js';
import { inventoryFindings } from '../../src/providers/vsphere/findings.js';
import { sourceHardware } from '../../src/providers/vsphere/vm-facts.js';
import { spaceFinding } from '../../src/planner/findings.js';
import { kvmHardware } from '../../src/planner/kvm-hardware.js';
import type { VmConfig } from '../../src/schema/config.js';
import type { InventoryFacts } from '../../src/model/source-facts.js';

const vsphereHardware = (vm: VmConfig, inv: InventoryFacts) => kvmHardware(vm, sourceHardware(inv), 'test-lineage');
import {
  camelKeys,
  inventoryFacts,
  parseDatastorePath,
  virtualMachines,
} from '../../src/providers/vsphere/inventory.js';
import { JsonSequence } from '../../src/providers/vsphere/govc.js';
import { globRegExp } from '../../src/providers/vsphere/select.js';
import { policyDefaults } from '../../src/schema/config-schema.js';
import { REPO } from '../helpers.js';

const recorded = JSON.parse(readFileSync(join(REPO, 'test', 'fixtures', 'govc-0.24-vm.info.json'), 'utf8'));

const camelCaseByHand = {
  virtualMachines: [
    {
      self: { type: 'VirtualMachine', value: 'vm-70' },
      name: 'debian',
      config: {
        name: 'debian',
        uuid: 'DCB86E21-748F-5FAD-B78A-CD3180303A27',
        instanceUuid: '354ecd76-79d8-51db-a7ae-4e86f7326077',
        guestId: 'debian11_64Guest',
        changeVersion: '',
        firmware: 'bios',
        changeTrackingEnabled: false,
        bootOptions: { efiSecureBootEnabled: false },
        hardware: {
          numCPU: 2,
          memoryMB: 1024,
          device: [
            {
              _typeName: 'ParaVirtualSCSIController',
              key: 202,
              deviceInfo: { label: 'SCSI controller 0', summary: 'VMware paravirtual SCSI' },
              busNumber: 0,
              sharedBus: 'noSharing',
              scsiCtlrUnitNumber: 7,
            },
            {
              _typeName: 'VirtualDisk',
              key: 203,
              deviceInfo: { label: 'Hard disk 1', summary: '2,097,152 KB' },
              backing: {
                _typeName: 'VirtualDiskFlatVer2BackingInfo',
                fileName: '[LocalDS_0] debian/debian.vmdk',
                diskMode: 'persistent',
                thinProvisioned: true,
                sharing: 'sharingNone',
                changeId: '',
              },
              controllerKey: 202,
              unitNumber: 0,
              capacityInKB: 2097152,
              capacityInBytes: 2147483648,
            },
            {
              _typeName: 'VirtualVmxnet3',
              key: 4000,
              deviceInfo: { label: 'Network adapter 1', summary: 'VM Network' },
              backing: { _typeName: 'VirtualEthernetCardNetworkBackingInfo', deviceName: 'VM Network' },
              controllerKey: 100,
              unitNumber: 7,
              addressType: 'generated',
              macAddress: '00:0C:29:5B:32:37',
            },
          ],
        },
      },
      runtime: { powerState: 'poweredOff' },
      snapshot: {
        currentSnapshot: { type: 'VirtualMachineSnapshot', value: 'snapshot-77' },
        rootSnapshotList: [
          {
            snapshot: { type: 'VirtualMachineSnapshot', value: 'snapshot-75' },
            name: 'before-migration',
            childSnapshotList: [{ snapshot: { type: 'VirtualMachineSnapshot', value: 'snapshot-77' }, name: 'second' }],
          },
        ],
      },
    },
  ],
};

describe('vSphere inventory parsing', () => {
  const fromRecorded = inventoryFacts(virtualMachines(recorded)[0], '/DC0/vm/debian');
  const fromCamel = inventoryFacts(virtualMachines(camelCaseByHand)[0], '/DC0/vm/debian');

  it('reads the recorded govc 0.24 (PascalCase) answer', () => {
    assert.equal(fromRecorded.name, 'debian');
    assert.equal(fromRecorded.cpus, 2);
    assert.equal(fromRecorded.memory_mib, 1024);
    assert.equal(fromRecorded.firmware, 'bios');
    assert.equal(fromRecorded.power_state, 'poweredOff');
    assert.equal(fromRecorded.guest_id, 'debian11_64Guest');
    assert.deepEqual(
      fromRecorded.disks.map((d) => [
        d.file,
        d.capacity_bytes,
        d.controller.type,
        d.controller.unit,
        d.thin,
        d.mode,
        d.rdm,
      ]),
      [['[LocalDS_0] debian/debian.vmdk', 2147483648, 'pvscsi', 0, true, 'persistent', false]],
    );
    assert.equal(fromRecorded.nics.length, 1);
    assert.match(fromRecorded.nics[0].mac, /^00:0c:29(:[0-9a-f]{2}){3}$/);
    assert.equal(fromRecorded.nics[0].network, 'VM Network');
    assert.deepEqual(fromRecorded.snapshots, [
      { name: 'before-migration', depth: 0, current: false },
      { name: 'second', depth: 1, current: true },
    ]);
  });

  it('gives the same facts from the camelCase (govc ≥ 0.31) shape, plus what only type names tell', () => {
    const comparable = (f: typeof fromRecorded) => ({
      ...f,
      nics: f.nics.map((n) => ({ ...n, adapter: '', label: '' })),
      disks: f.disks.map((d) => ({ ...d, label: '' })),
    });
    assert.deepEqual(comparable(fromCamel), comparable(fromRecorded));
    assert.equal(fromCamel.nics[0].adapter, 'vmxnet3');
    assert.equal(fromRecorded.nics[0].adapter, 'unknown', 'govc 0.24 prints no device type names');
  });

  it('folds keys to camelCase and leaves _typeName alone', () => {
    assert.deepEqual(camelKeys({ VirtualMachines: [{ Config: { NumCPU: 1 }, _typeName: 'X' }] }), {
      virtualMachines: [{ config: { numCPU: 1 }, _typeName: 'X' }],
    });
  });

  it('turns risky inventory into findings', () => {
    const policy = policyDefaults();
    const risky = {
      ...fromCamel,
      power_state: 'poweredOn',
      vtpm: true,
      secure_boot: true,
      guest_id: 'windows2019srv_64Guest',
      disks: [{ ...fromCamel.disks[0], rdm: true, sharing: 'sharingMultiWriter', mode: 'independent_persistent' }],
    };
    const codes = inventoryFindings(risky, policy).map((f) => `${f.severity}:${f.code}`);
    assert.deepEqual(codes.sort(), [
      'critical:guest-id-unsupported',
      'critical:rdm-disk',
      'critical:shared-disk',
      'critical:source-powered-on',
      'critical:vtpm',
      'info:snapshots-present',
      'warning:independent-disk',
      'warning:secure-boot',
    ]);
    const allowed = inventoryFindings({ ...fromCamel, power_state: 'poweredOn' }, { ...policy, allow_power_off: true });
    assert.deepEqual(
      allowed.map((f) => `${f.severity}:${f.code}`),
      ['info:source-powered-on', 'info:snapshots-present'],
    );
    assert.deepEqual(inventoryFindings({ ...fromCamel, snapshots: [] }, policy), []);
  });

  it('finds a disk that does not fit where apply writes it', () => {
    assert.equal(spaceFinding(2 * 2 ** 30, 10 * 2 ** 30, './out'), undefined);
    assert.deepEqual(spaceFinding(2 * 2 ** 30, 2 ** 30, './out'), {
      code: 'insufficient-space',
      severity: 'critical',
      message: 'apply needs up to 2048 MiB in ./out but only 1024 MiB is free',
    });
    assert.equal(spaceFinding(1, undefined, './out'), undefined, 'unknown free space is not a finding');
  });

  it("gives the KVM guest the VM's hardware: CPUs, memory, firmware, every NIC with its MAC", () => {
    const vm = {
      address: 'vm.web',
      source: 'source.vsphere.lab',
      policyAddress: null,
      policy: policyDefaults(),
      name: 'web',
    };
    const two = {
      ...fromCamel,
      firmware: 'efi' as const,
      cpus: 4,
      memory_mib: 8192,
      nics: [fromCamel.nics[0], { ...fromCamel.nics[0], mac: '00:50:56:01:02:03', network: 'DMZ' }],
    };
    const hw = vsphereHardware(vm, two);
    assert.deepEqual(hw, {
      cpus: 4,
      memory_mib: 8192,
      firmware: 'uefi',
      nics: [
        { mac: '00:0c:29:5b:32:37', model: 'virtio', network: 'VM Network' },
        { mac: '00:50:56:01:02:03', model: 'virtio', network: 'DMZ' },
      ],
    });
    assert.match(libvirt.render({ name: 'web', disks: ['/x.qcow2'], format: 'qcow2', hw })[0], /<os firmware="efi">/);
    const regenerated = vsphereHardware(
      { ...vm, policy: { ...policyDefaults(), mac: 'regenerate', firmware: 'bios' }, cpus: 2 },
      two,
    );
    assert.deepEqual(
      [regenerated.cpus, regenerated.firmware],
      [2, 'bios'],
      'the vm block and the policy override the inventory',
    );
    assert.ok(
      regenerated.nics.every((n) => n.mac.startsWith('52:54:00:')),
      'regenerated MACs are KVM-local',
    );
    assert.equal(new Set(regenerated.nics.map((n) => n.mac)).size, 2);
  });

  it('parses datastore paths and globs', () => {
    assert.deepEqual(parseDatastorePath('[LocalDS_0] debian/debian.vmdk'), {
      datastore: 'LocalDS_0',
      path: 'debian/debian.vmdk',
    });
    assert.throws(() => parseDatastorePath('debian.vmdk'), /not a datastore path/);
    assert.ok(globRegExp('web-*').test('web-01'));
    assert.ok(!globRegExp('web-*').test('db-01'));
    assert.ok(globRegExp('debian?*').test('debian11_64Guest'));
    assert.ok(!globRegExp('a.b').test('aXb'), 'dots are literal');
  });

  it('splits the stream of JSON values govc prints, wherever its chunks end', () => {
    const values = [{ a: '}{"', b: [1, { c: '\\"]' }] }, [], { d: 'x' }];
    const text = values.map((v) => JSON.stringify(v, null, 2)).join('\n');
    for (const size of [1, 3, 7, text.length]) {
      const split = new JsonSequence();
      const got: unknown[] = [];
      for (let i = 0; i < text.length; i += size)
        for (const t of split.push(text.slice(i, i + size))) got.push(JSON.parse(t));
      assert.deepEqual(got, values, `chunks of ${size}`);
      assert.equal(split.pending, false);
    }
    const cut = new JsonSequence();
    cut.push('{"a": [1, 2');
    assert.equal(cut.pending, true, 'an unfinished value is left over');
  });
});
