// The KVM guest's hardware from the source's and the policy: where each NIC attaches (policy
// `networks`, by source network name, "*" for the rest) and Secure Boot (from the source, or forced).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SourceHardware } from '../../src/model/facts.js';
import { kvmHardware } from '../../src/planner/kvm-hardware.js';
import { type PolicySettings, policyDefaults } from '../../src/schema/config-schema.js';
import type { VmConfig } from '../../src/schema/config.js';

const vm = (policy: Partial<PolicySettings>) =>
  ({
    address: 'vm.web',
    name: 'web',
    source: 'source.vsphere.vc',
    policyAddress: 'policy.p',
    policy: { ...policyDefaults(), ...policy },
  }) as VmConfig;
const vsphere: SourceHardware = {
  firmware: 'uefi',
  secure_boot: true,
  nics: [
    { mac: '00:50:56:00:00:01', network: 'VM Network' },
    { mac: '00:50:56:00:00:02', network: 'DMZ' },
    { mac: '00:50:56:00:00:03', network: 'Backup' },
  ],
};

describe('KVM hardware', () => {
  it('attaches each NIC where the policy maps its source network, "*" for the others', () => {
    const networks = { DMZ: { bridge: 'br-dmz', multus: 'dmz' }, '*': { network: 'lan' } };
    const hw = kvmHardware(vm({ networks }), vsphere, 'l');
    assert.deepEqual(
      hw.nics.map((n) => [n.mac, n.network, n.attach]),
      [
        ['00:50:56:00:00:01', 'VM Network', { network: 'lan' }],
        ['00:50:56:00:00:02', 'DMZ', { bridge: 'br-dmz', multus: 'dmz' }],
        ['00:50:56:00:00:03', 'Backup', { network: 'lan' }],
      ],
    );
    assert.ok(
      kvmHardware(vm({}), vsphere, 'l').nics.every((n) => n.attach === undefined),
      'unmapped: by name',
    );
  });

  it('Secure Boot follows the source, or the policy; never on a BIOS guest', () => {
    const sb = (policy: Partial<PolicySettings>, from = vsphere) => kvmHardware(vm(policy), from, 'l').secure_boot;
    assert.equal(sb({}), true);
    assert.equal(sb({}, { ...vsphere, secure_boot: undefined }), undefined);
    assert.equal(sb({ secure_boot: 'off' }), undefined);
    assert.equal(sb({ secure_boot: 'on' }, { ...vsphere, secure_boot: undefined }), true);
    assert.equal(sb({ secure_boot: 'on', firmware: 'bios' }), undefined);
  });
});
