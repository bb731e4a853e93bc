// Fixture S, a SLES-style guest (test/fixtures/build-suse-guest.sh): a btrfs root with SUSE's
// subvolumes, snapper's snapshot 1 the default subvolume and two read-only snapshots beside it;
// every name in fstab, on the kernel line (resume=) and in grub_installdevice by /dev/disk/by-id (the
// VMware disk's WWN); dracut host-only without virtio and persistent_policy by-id; net.ifnames=0 with
// a NetworkManager static keyfile on eth0 and VMware's MAC, a leftover 70-persistent-net.rules.
// Unfixed, its initramfs finds no disk on KVM. After apply: it boots with root read-write, every
// subvolume fstab names mounted and the static address in use; the snapshots are as they were, the
// filesystem scrubs clean before and after FIX, and no file of the running root names the WWN.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { modulePattern } from '../../src/guests/linux/inspect.js';
import { GuestfishSession } from '../../src/tools/guestfish.js';
import { initramfsFiles } from '../../src/tools/initramfs.js';
import { fileSha256 } from '../../src/util/files.js';
import { suseFixture } from '../fixtures/debian-guest.js';
import { golden, normalise } from '../golden.js';
import { h2k, localVmConfig } from '../helpers.js';
import { bootUnfixed } from './unfixed-boot.js';

const DISK = 'suse-vmware-sparse.vmdk';
const WWN = '6000c29d4e5f60718293a4b5c6d7e8f9';
const SUBVOLUMES = ['/home', '/opt', '/root', '/srv', '/tmp', '/usr/local', '/var'];

describe(
  'fixture S: SLES-style (btrfs subvolumes and snapper, by-id names, dracut, eth0 naming, NetworkManager static)',
  { timeout: 45 * 60_000 },
  () => {
    let fixture: string;
    let dir: string;
    let sha: string;

    before(async () => {
      fixture = await suseFixture();
      sha = await fileSha256(join(fixture, DISK));
      dir = localVmConfig(fixture, 'sles', [DISK]);
    });

    it('the unfixed source does not boot on KVM: its initramfs finds no disk', async () => {
      const v = await bootUnfixed({
        images: [join(fixture, DISK)],
        guest: { root: '/dev/sda2', bootloader: '/boot/grub/grub.cfg' },
      });
      assert.equal(v.passed, false);
      // dracut waits for the root by UUID, gives up and drops to its emergency shell.
      assert.equal(v.failure, 'systemd entered emergency mode');
      const serial = readFileSync(v.serialLog, 'latin1');
      assert.match(serial, /Could not boot\.\s*\n\s*Warning: \/dev\/disk\/by-uuid\/[0-9a-f-]{36} does not exist/);
      assert.doesNotMatch(serial, /\bvda\b/, 'the unfixed initramfs found a virtio disk');
    });

    it('plan: by-id names by UUID, subvolumes as fstab mounts them, dracut rebuilt, scrub clean', async () => {
      const r = await h2k(['plan', dir, '-out', join(dir, 'plan.json'), '--no-color']);
      assert.equal(r.exitCode, 0, r.stderr);
      golden('suse-layout.plan.txt', normalise(r.stdout, fixture, dir));
      const vm = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')).vms['vm.sles'];
      const guest = vm.facts.guest;
      assert.deepEqual(guest.snapshots, ['@/.snapshots/2/snapshot', '@/.snapshots/3/snapshot']);
      assert.equal(guest.btrfs_scrub.result, 'clean');
      assert.deepEqual(
        guest.mounts.map((m: { mountpoint: string; options?: string }) => `${m.mountpoint} ${m.options}`).sort(),
        SUBVOLUMES.map((s) => `${s} subvol=/@${s}`).sort(),
      );
      assert.ok(!vm.findings.some((f: { severity: string }) => f.severity === 'critical'), JSON.stringify(vm.findings));
      assert.equal(vm.network[0].addresses[0], '192.168.70.40/24');
    });

    it('apply: FIX scrubs clean after its changes; boots with every subvolume mounted, static address', async () => {
      const r = await h2k(['apply', join(dir, 'plan.json'), '--no-color']);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.match(r.stderr, /run btrfs scrub start -B -r \//);
      assert.match(
        r.stderr,
        new RegExp(
          String.raw`validate: done in [\d.]+ s \(boot test passed in \d+ s \(libvirt, \w+\): default target, ` +
            String.raw`root read-write, fstab mounted, network 192\.168\.70\.40 \(static, in use\)\)`,
        ),
      );
      assert.equal(await fileSha256(join(fixture, DISK)), sha, 'the source changed');
    });

    it('the output: snapshots untouched, the running root without by-id names, virtio in the initramfs', async () => {
      const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8'));
      // The snapshots hold the fstab the source's running root had: the one FIX rewrote.
      const edits = plan.vms['vm.sles'].actions.find((a: { stage: string }) => a.stage === 'fix').edits;
      const sourceFstab = edits.find((e: { path?: string }) => e.path === '/etc/fstab').before;
      assert.match(sourceFstab, /by-id/);
      const g = await GuestfishSession.launch([{ path: join(dir, 'out', 'sles.qcow2'), format: 'qcow2' }], {
        readonly: true,
      });
      try {
        // The running root (the default subvolume) and snapper's snapshots where the guest mounts them.
        await g.run('mount-ro', '/dev/sda2', '/');
        await g.run('mount-options', 'ro,subvol=/@/.snapshots', '/dev/sda2', '/.snapshots');
        const generations = (path: string, show: string) => {
          const field = (name: string) => new RegExp(`${name}:\\s*(\\d+)`).exec(show)?.[1];
          return [field('Generation'), field('Gen at creation'), path];
        };
        for (const n of [2, 3]) {
          const snapshot = `/.snapshots/${n}/snapshot`;
          const [now, created] = generations(snapshot, await g.run('btrfs-subvolume-show', snapshot));
          assert.equal(now, created, `snapshot ${n} was written to`);
          assert.equal(await g.readFile(`${snapshot}/etc/fstab`), sourceFstab);
        }
        const [now, created] = generations('/', await g.run('btrfs-subvolume-show', '/'));
        assert.ok(Number(now) > Number(created), 'FIX wrote into the running root');
        assert.doesNotMatch((await g.readFile('/etc/fstab'))!, /by-id/);
        const holding = await g.run('sh', `grep -rl ${WWN} /etc /boot/grub || true`);
        assert.equal(holding.trim(), '', `files of the running root still name the WWN:\n${holding}`);
        const initrd = (await g.run('glob-expand', '/boot/initrd.img-*')).trim().split('\n')[0];
        const names = await initramfsFiles((await g.readBytes(initrd))!);
        for (const m of ['virtio_blk', 'virtio_pci', 'virtio_net'])
          assert.ok(
            names.some((n) => modulePattern(m).test(n)),
            `${m} is not in the initramfs`,
          );
      } finally {
        await g.close();
      }
    });
  },
);
