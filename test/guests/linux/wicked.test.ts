// wicked's configuration as YaST writes it on SLES 15 (SUSE's ifcfg dialect, bound by file name;
// the gateway in ifroute-/routes, DNS in config) planned for KVM: the files read back as the same
// network, the KVM NIC named as the configuration expects, DHCP when the policy says so. Debian has
// no wicked package, so the edits are held to a golden of the plan's diffs and read back here.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GuestEdit } from '../../../src/model/plan.js';
import type { NicBinding } from '../../../src/model/guest-network.js';
import { guestEdits } from '../../../src/planner/plan-vm.js';
import { renderEdit } from '../../../src/render/plan-text.js';
import { makePaint } from '../../../src/render/paint.js';
import { policyDefaults, type PolicySettings } from '../../../src/schema/config-schema.js';
import { golden } from '../../golden.js';
import { guest } from './synthetic-guest.js';

const KVM = '52:54:00:aa:bb:cc';
const ETH0 =
  "BOOTPROTO='static'\nSTARTMODE='auto'\nIPADDR='192.168.80.15/24'\nIPADDR_1='192.168.81.15'\n" +
  "NETMASK_1='255.255.255.0'\nLABEL_1='sap'\nZONE=''\nNAME='VMXNET3 Ethernet Controller'\n";
const ETH1 = "BOOTPROTO='dhcp'\nSTARTMODE='auto'\nLLADDR='00:50:56:8a:11:22'\n";
const FILES: Record<string, string> = {
  '/etc/sysconfig/network/ifcfg-eth0': ETH0,
  '/etc/sysconfig/network/ifcfg-eth1': ETH1,
  '/etc/sysconfig/network/ifcfg-lo': "IPADDR='127.0.0.1/8'\nSTARTMODE='nfsroot'\nBOOTPROTO='static'\n",
  '/etc/sysconfig/network/ifcfg-br0': "BOOTPROTO='dhcp'\nBRIDGE='yes'\nBRIDGE_PORTS=''\n",
  '/etc/sysconfig/network/routes': 'default 192.168.80.1 - -\n10.9.0.0/16 192.168.81.1 - eth0\n',
  '/etc/sysconfig/network/config':
    'NETCONFIG_DNS_POLICY="auto"\nNETCONFIG_DNS_STATIC_SERVERS="192.168.80.2 192.168.80.3"\n',
  '/etc/udev/rules.d/70-persistent-net.rules':
    'SUBSYSTEM=="net", ACTION=="add", DRIVERS=="?*", ATTR{address}=="00:50:56:8a:00:01", ATTR{type}=="1", ' +
    'KERNEL=="eth*", NAME="eth0"\n',
};
const sles = (files: Record<string, string> = FILES) =>
  guest(
    {
      os: { type: 'linux', distro: 'sles', major: 15, minor: 5, product: 'SLES 15 SP5', arch: 'x86_64', hostname: 's' },
      network: { backend: 'wicked' },
    },
    files,
  );
const NICS: NicBinding[] = [
  { mac: KVM, vmware_mac: '00:50:56:8a:00:01' },
  { mac: '52:54:00:aa:bb:cd', vmware_mac: '00:50:56:8a:11:22' },
];
const plan = (policy: Partial<PolicySettings> = {}, files = FILES) =>
  guestEdits(
    sles(files),
    { address: 'vm.s', source: 's', policyAddress: null, policy: { ...policyDefaults(), ...policy }, disks: ['d'] },
    NICS,
  );
const network = (edits: GuestEdit[]) => edits.filter((e) => 'path' in e && /sysconfig\/network|udev/.test(e.path));
const text = (edits: GuestEdit[]) =>
  network(edits)
    .flatMap((e) => renderEdit(e, makePaint(false)))
    .join('\n');
const written = (edits: GuestEdit[], path: string) =>
  edits.find((e): e is Extract<GuestEdit, { kind: 'write' }> => e.kind === 'write' && e.path === path)?.after;

describe('wicked (SUSE ifcfg)', () => {
  it('keeps addressing and names: the KVM NICs are named eth0 and eth1 by MAC, the VMware rule goes', () => {
    const r = plan();
    golden('wicked.preserve.edits.txt', `${text(r.edits)}\n`);
    // The configuration files are not touched: wicked binds by name, and the names stay.
    assert.equal(written(r.edits, '/etc/sysconfig/network/ifcfg-eth0'), undefined);
    assert.equal(
      written(r.edits, '/etc/udev/rules.d/70-h2k-net-names.rules')
        ?.split('\n')
        .filter((l) => l.startsWith('SUBSYSTEM'))
        .join('\n'),
      `SUBSYSTEM=="net", ACTION=="add", ATTR{address}=="${KVM}", NAME="eth0"\n` +
        'SUBSYSTEM=="net", ACTION=="add", ATTR{address}=="52:54:00:aa:bb:cd", NAME="eth1"',
    );
    assert.ok(r.edits.some((e) => e.kind === 'delete' && e.path === '/etc/udev/rules.d/70-persistent-net.rules'));
    // Read back: the network the guest will configure, bound to the KVM MACs.
    assert.deepEqual(r.network, [
      {
        config: '/etc/sysconfig/network/ifcfg-eth0',
        name: 'eth0',
        mac: KVM,
        method: 'static',
        addresses: ['192.168.80.15/24', '192.168.81.15/24'],
        gateway: '192.168.80.1',
        dns: ['192.168.80.2', '192.168.80.3'],
      },
      {
        config: '/etc/sysconfig/network/ifcfg-eth1',
        name: 'eth1',
        mac: '52:54:00:aa:bb:cd',
        method: 'dhcp',
        addresses: [],
        dns: ['192.168.80.2', '192.168.80.3'],
      },
    ]);
    assert.ok(r.findings.some((f) => f.code === 'guest-mac-pinned' && /LLADDR/.test(f.message)));
  });

  it('network = "dhcp": addresses and the default route go, other routes stay; mac = "regenerate" drops LLADDR', () => {
    const r = plan({ network: 'dhcp', mac: 'regenerate' });
    golden('wicked.dhcp.edits.txt', `${text(r.edits)}\n`);
    assert.equal(
      written(r.edits, '/etc/sysconfig/network/ifcfg-eth0'),
      "BOOTPROTO='dhcp'\nSTARTMODE='auto'\nZONE=''\nNAME='VMXNET3 Ethernet Controller'\n",
    );
    assert.equal(written(r.edits, '/etc/sysconfig/network/routes'), '10.9.0.0/16 192.168.81.1 - eth0\n');
    assert.equal(written(r.edits, '/etc/sysconfig/network/ifcfg-eth1'), "BOOTPROTO='dhcp'\nSTARTMODE='auto'\n");
    assert.deepEqual(
      r.network?.map((n) => n.method),
      ['dhcp', 'dhcp'],
    );
  });

  it('idempotent: planning against the planned files changes nothing more', () => {
    const first = plan();
    const after: Record<string, string> = { ...FILES };
    for (const e of first.edits)
      if (e.kind === 'write') after[e.path] = e.after;
      else if (e.kind === 'delete') delete after[e.path];
    assert.deepEqual(network(plan({}, after).edits), []);
  });
});
