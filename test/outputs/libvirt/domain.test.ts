// The domain h2k ships, and the transient copy VALIDATE boots: libvirt's schema accepts both, the
// shipped one has what a KVM guest needs to boot and be run, and the copy differs from it only in
// the places the boot test must change.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { domainXml } from '../../../src/outputs/libvirt/domain.js';
import { libvirt, shippedDomain } from '../../../src/outputs/libvirt/index.js';
import { validationDomain } from '../../../src/outputs/libvirt/transient.js';
import type { MachineSpec } from '../../../src/outputs/output.js';
import { tempDir } from '../../helpers.js';

const machine = (firmware: 'bios' | 'uefi'): MachineSpec => ({
  name: 'web',
  disks: ['/srv/kvm/web.qcow2', '/srv/kvm/web-disk1.qcow2'],
  format: 'qcow2',
  hw: {
    cpus: 2,
    memory_mib: 2048,
    firmware,
    nics: [
      { mac: '00:50:56:01:02:03', model: 'virtio', network: 'prod' },
      { mac: '00:50:56:01:02:04', model: 'e1000' },
    ],
  },
});

const copyOf = (of: 'bios' | 'uefi' | MachineSpec) =>
  validationDomain(
    shippedDomain(typeof of === 'string' ? machine(of) : of),
    {
      name: 'h2k-validate-web-1',
      overlays: ['/w/boot-overlay.qcow2', '/w/boot-overlay-disk1.qcow2'],
      serialLog: '/w/boot-serial.log',
      pcaps: ['/w/boot-net.pcap', '/w/boot-net-nic1.pcap'],
      nvram: '/w/boot-VARS.fd',
      accel: 'tcg',
    },
    { uid: 0, gid: 0 },
  );

async function schemaProblem(xml: string): Promise<string | undefined> {
  const file = join(tempDir(), 'domain.xml');
  writeFileSync(file, xml);
  return libvirt.check([file]);
}

describe('the libvirt domain', () => {
  for (const firmware of ['bios', 'uefi'] as const) {
    it(`${firmware}: libvirt's schema accepts the shipped domain and its transient copy`, async () => {
      assert.equal(await schemaProblem(libvirt.render(machine(firmware))[0]), undefined);
      assert.equal(await schemaProblem(domainXml(copyOf(firmware))), undefined);
    });
  }

  it("names disks past the 26th as libvirt and the guest do (vdaa), in the VM's disk order", () => {
    const many = { ...machine('bios'), disks: Array.from({ length: 28 }, (_, i) => `/srv/kvm/web-disk${i}.qcow2`) };
    const targets = [...libvirt.render(many)[0].matchAll(/<target dev="(\w+)" bus="virtio"\/>/g)].map((m) => m[1]);
    assert.deepEqual(
      [targets.length, targets[0], targets[25], targets[26], targets[27]],
      [28, 'vda', 'vdz', 'vdaa', 'vdab'],
    );
  });

  it('ships what a KVM guest needs: a display (without one the firmware hangs), console, agent, balloon, rng', () => {
    const xml = libvirt.render(machine('uefi'))[0];
    for (const needed of [
      /<video>\s*<model type="vga"\/>/,
      /<graphics type="vnc" autoport="yes"/,
      /<serial type="pty">/,
      /<channel type="unix">\s*<target type="virtio" name="org.qemu.guest_agent.0"\/>/,
      /<memballoon model="virtio"\/>/,
      /<rng model="virtio">/,
      /<cpu mode="host-model"\/>/,
      /<feature enabled="no" name="secure-boot"\/>/,
    ])
      assert.match(xml, needed);
    // Every NIC, in order, with its MAC and model, on its libvirt network.
    assert.deepEqual(
      [
        ...xml.matchAll(
          new RegExp(
            String.raw`<interface type="network">\s*<source network="([^"]+)"/>\s*<mac address="([^"]+)"/>\s*` +
              String.raw`<model type="([^"]+)"`,
            'g',
          ),
        ),
      ].map((m) => m.slice(1)),
      [
        ['prod', '00:50:56:01:02:03', 'virtio'],
        ['default', '00:50:56:01:02:04', 'e1000'],
      ],
    );
  });

  it('the transient copy differs from the shipped domain only where the boot test must', () => {
    const shipped = libvirt.render(machine('uefi'))[0].split('\n');
    const copy = domainXml(copyOf('uefi')).split('\n');
    const only = (a: string[], b: string[]) => a.filter((l) => !b.includes(l)).map((l) => l.trim());
    assert.deepEqual(only(shipped, copy), [
      '<domain type="kvm">',
      '<name>web</name>',
      '<cpu mode="host-model"/>',
      '<source file="/srv/kvm/web.qcow2"/>',
      '<source file="/srv/kvm/web-disk1.qcow2"/>',
      '<interface type="network">',
      '<source network="prod"/>',
      '<interface type="network">',
      '<source network="default"/>',
      '<serial type="pty">',
    ]);
    assert.deepEqual(only(copy, shipped), [
      '<domain type="qemu" xmlns:qemu="http://libvirt.org/schemas/domain/qemu/1.0">',
      '<name>h2k-validate-web-1</name>',
      '<nvram>/w/boot-VARS.fd</nvram>',
      '<cpu mode="custom" match="exact">',
      '<model fallback="forbid">qemu64</model>',
      '</cpu>',
      '<source file="/w/boot-overlay.qcow2"/>',
      '<source file="/w/boot-overlay-disk1.qcow2"/>',
      '<interface type="user">',
      '<interface type="user">',
      '<serial type="file">',
      '<source path="/w/boot-serial.log"/>',
      '<seclabel type="static" model="dac" relabel="no">',
      '<label>+0:+0</label>',
      '</seclabel>',
      '<qemu:commandline>',
      '<qemu:arg value="-object"/>',
      '<qemu:arg value="filter-dump,id=h2kcap0,netdev=hostnet0,file=/w/boot-net.pcap"/>',
      '<qemu:arg value="-object"/>',
      '<qemu:arg value="filter-dump,id=h2kcap1,netdev=hostnet1,file=/w/boot-net-nic1.pcap"/>',
      '</qemu:commandline>',
    ]);
  });

  it('NICs where the policy attaches them: a libvirt network, a bridge, macvtap; all valid to libvirt', async () => {
    const m = machine('bios');
    const spec = {
      ...m,
      hw: {
        ...m.hw,
        nics: [
          { ...m.hw.nics[0], attach: { bridge: 'br-prod', multus: 'prod' } },
          { ...m.hw.nics[1], attach: { macvtap: 'eno2' } },
          { mac: '52:54:00:00:00:03', model: 'virtio', network: 'VM Network', attach: { network: 'lan' } },
        ],
      },
    };
    const xml = libvirt.render(spec)[0];
    assert.equal(await schemaProblem(xml), undefined);
    assert.deepEqual(
      [...xml.matchAll(/<interface type="(\w+)">\s*<source ([^/]+)\/>\s*<mac address="([^"]+)"/g)].map((x) =>
        x.slice(1),
      ),
      [
        ['bridge', 'bridge="br-prod"', '00:50:56:01:02:03'],
        ['direct', 'dev="eno2" mode="bridge"', '00:50:56:01:02:04'],
        ['network', 'network="lan"', '52:54:00:00:00:03'],
      ],
    );
  });

  it('Secure Boot where the source had it: enrolled keys and SMM, shipped and in the boot copy', async () => {
    const m = machine('uefi');
    const sb = { ...m, hw: { ...m.hw, secure_boot: true as const } };
    const shipped = libvirt.render(sb)[0];
    const copy = domainXml(copyOf(sb));
    for (const xml of [shipped, copy]) {
      assert.equal(await schemaProblem(xml), undefined);
      assert.match(
        xml,
        /<feature enabled="yes" name="secure-boot"\/>\s*<feature enabled="yes" name="enrolled-keys"\/>/,
      );
      assert.match(xml, /<smm state="on"\/>/);
    }
    assert.doesNotMatch(libvirt.render(m)[0], /<smm/);
  });

  it('a Windows guest keeps local time, with Hyper-V enlightenments', () => {
    const xml = libvirt.render({ ...machine('uefi'), hints: { clock: 'localtime', hyperv: true } })[0];
    assert.match(xml, /<clock offset="localtime">\s*<timer name="hypervclock" present="yes"\/>/);
    assert.match(xml, /<hyperv>\s*<relaxed state="on"\/>/);
  });
});
