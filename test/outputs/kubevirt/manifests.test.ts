// The KubeVirt output's shape where it matters to a user loading it: what KubeVirt would otherwise
// default (Secure Boot on for EFI), the boot disk, every NIC with its MAC, and a file that reads back
// as the documents kubectl expects. (D's and E's manifests from real applies are golden-tested in
// local-debian and enterprise-layout.)
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { kubeName, kubevirt, virtualMachine } from '../../../src/outputs/kubevirt/index.js';
import type { MachineSpec } from '../../../src/outputs/output.js';
import { tempDir } from '../../helpers.js';

const machine: MachineSpec = {
  name: 'lab-Web_1',
  disks: ['/o/lab-Web_1.qcow2', '/o/lab-Web_1-disk1.qcow2'],
  format: 'qcow2',
  diskBytes: [2 ** 31, 536870912 + 1],
  hw: {
    cpus: 4,
    memory_mib: 4096,
    firmware: 'uefi',
    nics: [
      { mac: '00:50:56:01:02:03', model: 'virtio', network: 'VM Network' },
      { mac: '00:50:56:01:02:04', model: 'virtio', network: 'DMZ' },
    ],
  },
};

describe('the KubeVirt output', () => {
  it('a DataVolume per disk awaiting its upload, then the stopped VirtualMachine', async () => {
    const [text] = kubevirt.render(machine);
    const docs = parseAllDocuments(text).map((d) => d.toJS());
    assert.deepEqual(
      docs.map((d) => [d.kind, d.metadata.name, d.spec.source?.upload, d.spec.storage?.resources.requests.storage]),
      [
        ['DataVolume', 'lab-web-1-disk0', {}, '2048Mi'],
        ['DataVolume', 'lab-web-1-disk1', {}, '513Mi'],
        ['VirtualMachine', 'lab-web-1', undefined, undefined],
      ],
    );
    const file = join(tempDir(), 'vm.yaml');
    writeFileSync(file, text);
    assert.equal(await kubevirt.check([file]), undefined);
    writeFileSync(file, text.replace(/kind: VirtualMachine/, 'kind: Pod'));
    assert.match((await kubevirt.check([file])) ?? '', /holds DataVolume, DataVolume, Pod/);
  });

  it('EFI with Secure Boot off (KubeVirt defaults it on), the boot disk first, every NIC with its MAC', () => {
    const vm = virtualMachine(machine);
    assert.equal(vm.spec.running, false);
    const spec = vm.spec.template.spec!;
    assert.deepEqual(spec.domain.firmware, { bootloader: { efi: { secureBoot: false } } });
    assert.deepEqual(spec.domain.devices.disks, [
      { name: 'disk0', disk: { bus: 'virtio' }, bootOrder: 1 },
      { name: 'disk1', disk: { bus: 'virtio' } },
    ]);
    assert.deepEqual(spec.domain.devices.interfaces, [
      { name: 'nic0', masquerade: {}, macAddress: '00:50:56:01:02:03', model: 'virtio' },
      { name: 'nic1', bridge: {}, macAddress: '00:50:56:01:02:04', model: 'virtio' },
    ]);
    assert.deepEqual(spec.networks, [
      { name: 'nic0', pod: {} },
      { name: 'nic1', multus: { networkName: 'dmz' } },
    ]);
    assert.deepEqual(spec.volumes, [
      { name: 'disk0', dataVolume: { name: 'lab-web-1-disk0' } },
      { name: 'disk1', dataVolume: { name: 'lab-web-1-disk1' } },
    ]);
    const bios = virtualMachine({ ...machine, hw: { ...machine.hw, firmware: 'bios' } });
    assert.deepEqual(bios.spec.template.spec!.domain.firmware, { bootloader: { bios: {} } });
  });

  it('Secure Boot where the source had it (with the SMM KubeVirt requires); Multus networks the policy names', () => {
    const vm = virtualMachine({
      ...machine,
      hw: {
        ...machine.hw,
        secure_boot: true,
        nics: [
          { ...machine.hw.nics[0], attach: { multus: 'infra/vlan10', bridge: 'br0' } },
          { ...machine.hw.nics[1], attach: { network: 'dmz' } },
        ],
      },
    });
    const spec = vm.spec.template.spec!;
    assert.deepEqual(spec.domain.firmware, { bootloader: { efi: { secureBoot: true } } });
    assert.deepEqual(spec.domain.features, { smm: { enabled: true } });
    // The first NIC leaves the pod network once the policy names its Multus network.
    assert.deepEqual(
      spec.domain.devices.interfaces!.map((i) => Object.keys(i).filter((k) => k === 'bridge' || k === 'masquerade')),
      [['bridge'], ['bridge']],
    );
    assert.deepEqual(spec.networks, [
      { name: 'nic0', multus: { networkName: 'infra/vlan10' } },
      { name: 'nic1', multus: { networkName: 'dmz' } },
    ]);
  });

  it('Kubernetes names from any VM name', () => {
    assert.equal(kubeName('lab-Web_1'), 'lab-web-1');
    assert.equal(kubeName('__'), 'vm');
    assert.equal(kubeName('x'.repeat(80)).length, 57);
  });
});
