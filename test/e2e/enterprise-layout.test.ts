// Fixture E, an enterprise-Linux layout (test/fixtures/build-enterprise-guest.sh): two disks; UEFI
// with grub only under \EFI\debian (no removable fallback), a separate /boot, LVM with / on XFS and
// swap, LVM's devices file naming the VMware disk; dracut host-only without virtio; NetworkManager
// with a static address bound to ens192 by name and VMware MAC and no auto-created connections; a
// data disk mounted at /data by a by-path name. Unfixed, a fresh OVMF NVRAM finds nothing to boot.
// After apply: it boots through the fallback loader, the data disk is mounted, the static address
// is in use, the rebuilt initramfs holds the virtio drivers, and the data disk's bytes are untouched.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { execa } from 'execa';
import { GuestfishSession } from '../../src/tools/guestfish.js';
import { initramfsFiles } from '../../src/tools/initramfs.js';
import { fileSha256 } from '../../src/util/files.js';
import { enterpriseFixture } from '../fixtures/debian-guest.js';
import { derivedMacs, golden, normalise } from '../golden.js';
import { h2k, localVmConfig } from '../helpers.js';
import { bootUnfixed } from './unfixed-boot.js';

const DISKS = ['enterprise-vmware-sparse.vmdk', 'enterprise-data-sparse.vmdk'];

describe(
  'fixture E: enterprise layout (UEFI, LVM + XFS, dracut, NetworkManager static, two disks)',
  { timeout: 45 * 60_000 },
  () => {
    let fixture: string;
    let dir: string;
    const shas: Record<string, string> = {};

    before(async () => {
      fixture = await enterpriseFixture();
      for (const d of DISKS) shas[d] = await fileSha256(join(fixture, d));
      dir = localVmConfig(fixture, 'el', DISKS, '', '  outputs      = ["libvirt", "kubevirt"]\n');
    });

    it('the unfixed source does not boot on KVM: a fresh NVRAM finds no loader', async () => {
      const v = await bootUnfixed({
        images: DISKS.map((d) => join(fixture, d)),
        guest: {
          root: '/dev/rhel/root',
          mounts: [
            { mountpoint: '/boot', device: '/dev/sda2' },
            { mountpoint: '/boot/efi', device: '/dev/sda1' },
          ],
          bootloader: '/boot/grub/grub.cfg',
        },
        firmware: 'uefi',
      });
      assert.equal(v.passed, false);
      assert.equal(v.failure, 'the UEFI firmware found nothing to boot');
    });

    it('plan: fallback loader, dracut rebuild, devices file removed, keyfile rebound, fstab by UUID', async () => {
      const r = await h2k(['plan', dir, '-out', join(dir, 'plan.json'), '--no-color']);
      assert.equal(r.exitCode, 0, r.stderr);
      golden('enterprise-layout.plan.txt', normalise(r.stdout, fixture, dir));
      const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8'));
      const vm = plan.vms['vm.el'];
      assert.equal(vm.facts.guest.firmware, 'uefi');
      assert.equal(vm.facts.hardware.firmware, 'uefi');
      const edits = vm.actions.find((a: { stage: string }) => a.stage === 'fix').edits;
      const paths = edits.map(
        (e: { kind: string; path?: string; command?: string[] }) => e.path ?? e.command?.join(' ') ?? e.kind,
      );
      assert.ok(paths.includes('/boot/efi/EFI/BOOT/BOOTX64.EFI'), paths.join('\n'));
      assert.ok(paths.includes('/etc/dracut.conf.d/90-h2k-virtio.conf'));
      assert.ok(paths.includes('/etc/lvm/devices/system.devices'));
      assert.ok(paths.some((p: string) => /^dracut --force --reproducible \/boot\/initrd\.img-\S+ \S+$/.test(p)));
      assert.match(r.stdout, /-\/dev\/disk\/by-path\/pci-0000:03:00\.0-scsi-0:0:1:0-part1 \/data xfs/);
      assert.match(r.stdout, /-interface-name=ens192/);
      assert.match(r.stdout, /^\s+\/dev\/mapper\/rhel-root {3}\//m, 'LVM names are stable and stay');
      assert.equal(vm.network[0].addresses[0], '192.168.60.30/24');
      assert.ok(!vm.findings.some((f: { severity: string }) => f.severity === 'critical'), JSON.stringify(vm.findings));
    });

    it('apply: one FIX appliance for both disks; boots by the fallback loader; /data, swap, static IP', async () => {
      const r = await h2k(['apply', join(dir, 'plan.json'), '--no-color']);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.match(r.stderr, /fix: done in [\d.]+ s \(\d+ change\(s\), 1 libguestfs launch\)/);
      assert.match(
        r.stderr,
        new RegExp(
          String.raw`validate: done in [\d.]+ s \(boot test passed in \d+ s \(libvirt, \w+\): default target, ` +
            String.raw`root read-write,` +
            String.raw` fstab mounted, network 192\.168\.60\.30 \(static, in use\)\)`,
        ),
      );
      // The KubeVirt manifest for the same machine: two DataVolumes, EFI without Secure Boot.
      golden(
        'enterprise-layout.kubevirt.yaml',
        derivedMacs(readFileSync(join(dir, 'out', 'kubevirt', 'el.yaml'), 'utf8')),
      );
      const xml = readFileSync(join(dir, 'out', 'el.xml'), 'utf8');
      assert.match(xml, /<os firmware="efi">/);
      const targets = [...xml.matchAll(/<source file="([^"]+)"\/>\s*<target dev="(vd[a-z])"/g)].map((m) => [
        m[2],
        m[1],
      ]);
      assert.deepEqual(targets, [
        ['vda', join(dir, 'out', 'el.qcow2')],
        ['vdb', join(dir, 'out', 'el-disk1.qcow2')],
      ]);
      // FIX never mounts the data disk: its bytes come through unchanged.
      const compare = await execa(
        'qemu-img',
        ['compare', '-q', join(fixture, DISKS[1]), join(dir, 'out', 'el-disk1.qcow2')],
        {
          reject: false,
        },
      );
      assert.equal(compare.exitCode, 0, compare.stderr);
      for (const d of DISKS) assert.equal(await fileSha256(join(fixture, d)), shas[d], `${d} changed`);
    });

    it('the rebuilt initramfs in the output holds virtio_blk, virtio_scsi, virtio_pci and virtio_net', async () => {
      const g = await GuestfishSession.launch([{ path: join(dir, 'out', 'el.qcow2'), format: 'qcow2' }], {
        readonly: true,
      });
      let names: string[];
      try {
        await g.run('mount-ro', '/dev/sda2', '/');
        const initrd = (await g.run('glob-expand', '/initrd.img-*')).trim().split('\n')[0];
        names = await initramfsFiles((await g.readBytes(initrd))!);
      } finally {
        await g.close();
      }
      for (const m of ['virtio_blk', 'virtio_scsi', 'virtio_pci', 'virtio_net'])
        assert.ok(
          names.some((n) => new RegExp(`/${m}\\.ko(\\.[a-z]+)?$`).test(n)),
          `${m} is not in the initramfs`,
        );
      assert.ok(!names.includes('etc/lvm/devices/system.devices'), 'the VMware devices file is still in the initramfs');
    });

    it('a second plan says no changes', async () => {
      const r = await h2k(['plan', dir, '-detailed-exitcode', '--no-color']);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.match(r.stdout, /No changes\. 1 VM\(s\) match the configuration\./);
    });
  },
);
