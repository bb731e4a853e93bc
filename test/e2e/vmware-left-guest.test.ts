// A Debian guest the way VMware and its installer leave it, not the way our fixers would like it:
// no serial console anywhere, the NIC known only by its VMware name ens192, and its MAC set by
// `hwaddress ether` in /etc/network/interfaces. The boot test must pass on it (its evidence comes
// from a probe in a throwaway overlay and from the NIC's traffic, not from the console or the MAC
// QEMU gave the NIC), and the plan must say that the guest claims the VMware MAC.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { dhcpAcks } from '../../src/executors/net-capture.js';
import { fileSha256 } from '../../src/util/files.js';
import { debianFixture } from '../fixtures/debian-guest.js';
import { golden, normalise } from '../golden.js';
import { h2k, localVmConfig } from '../helpers.js';
import { bootUnfixed } from './unfixed-boot.js';

const VMWARE_MAC = '00:50:56:8a:12:34';

describe(
  'a guest with no serial console and a hwaddress MAC pin (real fixture variant)',
  { timeout: 40 * 60_000 },
  () => {
    let dir: string;
    let fixture: string;
    let source: string;
    let sourceSha: string;

    before(async () => {
      fixture = await debianFixture();
      source = join(fixture, 'debian-hwaddr-sparse.vmdk');
      sourceSha = await fileSha256(source);
      // No nics block: the KVM NIC gets a MAC h2k derives, and the guest overrides it with its own.
      dir = localVmConfig(fixture, 'vmware_left', ['debian-hwaddr-sparse.vmdk']);
    });

    it('the unfixed source does not boot on virtio', async () => {
      const v = await bootUnfixed({
        images: [source],
        guest: { root: '/dev/sda1', bootloader: '/boot/grub/grub.cfg' },
      });
      assert.equal(v.failure, 'the initramfs could not find the root disk');
    });

    it('plans the interfaces rewrite, keeps the pin (MACs are preserved) and says so', async () => {
      const r = await h2k(['plan', dir, '-out', join(dir, 'plan.json'), '--no-color']);
      assert.equal(r.exitCode, 0, r.stderr);
      golden('vmware-left-guest.plan.txt', normalise(r.stdout, fixture, dir));
      assert.match(r.stdout, /-allow-hotplug ens192\n\s+\+auto \/e\*\/1=ens192/);
      assert.match(
        r.stdout,
        /warning \[guest-mac-pinned\] \/etc\/network\/interfaces sets the NIC's MAC to 00:50:56:8a:12:34 \(hwaddress\)/,
      );
      const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8'));
      const nic = plan.vms['vm.vmware_left'].facts.hardware.nics[0];
      assert.match(nic.mac, /^52:54:00:/);
    });

    it('applies, and the boot test passes on evidence a real guest gives', async () => {
      const r = await h2k(['apply', join(dir, 'plan.json'), '--no-color']);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(
          String.raw`validate: done in [\d.]+ s \(boot test passed in \d+ s \(\w+\): default target, root read-write,` +
            String.raw` fstab mounted, network 10\.0\.2\.15 \(DHCP lease\)\)`,
        ),
      );
      // The lease went to the MAC the guest set itself, not the one QEMU gave the NIC.
      const acks = dhcpAcks(readFileSync(join(dir, '.h2k', 'work', 'vmware_left', 'boot-net.pcap')));
      assert.ok(
        acks.some((a) => a.mac === VMWARE_MAC),
        JSON.stringify(acks),
      );
      const state = JSON.parse(readFileSync(join(dir, '.h2k', 'state.json'), 'utf8'));
      const out = state.vms['vm.vmware_left'].stages.convert.outputs[0];
      assert.equal(out.sha256, await fileSha256(join(dir, out.path)), 'the boot test changed the output');
      assert.equal(await fileSha256(source), sourceSha, 'apply wrote to the source');
    });
  },
);
