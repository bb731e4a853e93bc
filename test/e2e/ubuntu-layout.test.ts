// Fixture U, an Ubuntu-server layout as curtin and VMware leave it (test/fixtures/build-ubuntu-guest.sh):
// netplan matching the NIC by its VMware MAC with a static address, GPT with a BIOS boot partition,
// swap named /dev/sda3, an initramfs-tools image built with MODULES=most. Unfixed, on KVM it comes
// up with no address and no swap; after apply its static address is configured and in use on the
// KVM NIC, and nothing rebuilt the initramfs (it already carries virtio).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileSha256 } from '../../src/util/files.js';
import { ubuntuFixture } from '../fixtures/debian-guest.js';
import { golden, normalise } from '../golden.js';
import { h2k, localVmConfig } from '../helpers.js';
import { bootUnfixed } from './unfixed-boot.js';

const STATIC = {
  config: '/etc/netplan/00-installer-config.yaml',
  name: 'ens192',
  method: 'static' as const,
  addresses: ['192.168.50.20/24'],
  gateway: '192.168.50.1',
  dns: ['192.168.50.1'],
};

describe(
  'fixture U: Ubuntu-server layout (netplan static, GPT + BIOS boot, swap by /dev/sda3)',
  { timeout: 40 * 60_000 },
  () => {
    let fixture: string;
    let source: string;
    let sourceSha: string;
    let dir: string;

    before(async () => {
      fixture = await ubuntuFixture();
      source = join(fixture, 'ubuntu-vmware-sparse.vmdk');
      sourceSha = await fileSha256(source);
      // No nics block: a local source does not know the VMware MAC, so the KVM NIC gets a derived one.
      dir = localVmConfig(fixture, 'ubuntu', ['ubuntu-vmware-sparse.vmdk']);
    });

    it('the unfixed source does not come up as configured on KVM', async () => {
      const v = await bootUnfixed({
        images: [source],
        guest: { root: '/dev/sda2', bootloader: '/boot/grub/grub.cfg' },
        network: [STATIC],
      });
      assert.equal(v.passed, false);
      assert.equal(v.failure, 'systemd timed out waiting for a device in fstab');
      assert.match(readFileSync(v.serialLog, 'latin1'), /Timed out waiting for device.*sda3/);
    });

    it('plan: netplan rebound to the KVM MAC with its static address, swap by UUID, no initramfs rebuild', async () => {
      const r = await h2k(['plan', dir, '-out', join(dir, 'plan.json'), '--no-color']);
      assert.equal(r.exitCode, 0, r.stderr);
      golden('ubuntu-layout.plan.txt', normalise(r.stdout, fixture, dir));
      const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8'));
      const vm = plan.vms['vm.ubuntu'];
      const mac = vm.facts.hardware.nics[0].mac;
      assert.match(r.stdout, new RegExp(`-\\s+macaddress: 00:50:56:8a:56:78\\n\\s+\\+\\s+macaddress: ${mac}`));
      assert.match(r.stdout, /-\/dev\/sda3 none swap sw 0 0\n\s+\+UUID=[0-9a-f-]{36} none swap sw 0 0/);
      assert.deepEqual(vm.network, [{ ...STATIC, mac }]);
      assert.ok(vm.findings.some((f: { code: string }) => f.code === 'initramfs-has-virtio'));
      assert.doesNotMatch(r.stdout, /update-initramfs/);
    });

    it('apply: the boot test finds the static address configured and in use on the KVM NIC', async () => {
      const r = await h2k(['apply', join(dir, 'plan.json'), '--no-color']);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(
          String.raw`validate: done in [\d.]+ s \(boot test passed in \d+ s \(libvirt, \w+\): default target, ` +
            String.raw`root read-write,` +
            String.raw` fstab mounted, network 192\.168\.50\.20 \(static, in use\)\)`,
        ),
      );
      const state = JSON.parse(readFileSync(join(dir, '.h2k', 'state.json'), 'utf8'));
      const out = state.vms['vm.ubuntu'].stages.convert.outputs[0];
      assert.equal(out.sha256, await fileSha256(join(dir, out.path)), 'the boot test changed the output');
      assert.equal(await fileSha256(source), sourceSha, 'apply wrote to the source');
    });

    it('a second plan says no changes', async () => {
      const r = await h2k(['plan', dir, '-detailed-exitcode', '--no-color']);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.match(r.stdout, /No changes\. 1 VM\(s\) match the configuration\./);
    });
  },
);
