// Fixture L, a Debian guest with / in LUKS2 (test/fixtures/build-luks-guest.sh): crypttab and /boot
// by /dev/disk/by-path, cryptroot in an initramfs without virtio, ifupdown with a static address on
// ens192. Unfixed, its initramfs never finds the encrypted disk on KVM. Without a passphrase the plan
// stops at a Critical finding; with one (luks_keys, from a sensitive variable) the volume is opened
// read-only to plan, read-write in FIX, and the boot test types the passphrase at the guest's prompt:
// it boots with root read-write, /boot mounted and the static address in use. The passphrase is in no
// process's argv while h2k runs, and in no file h2k writes.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { modulePattern } from '../../src/guests/linux/inspect.js';
import { GuestfishSession } from '../../src/tools/guestfish.js';
import { initramfsFiles } from '../../src/tools/initramfs.js';
import { Sensitive } from '../../src/schema/values.js';
import { fileSha256 } from '../../src/util/files.js';
import { luksFixture } from '../fixtures/debian-guest.js';
import { golden, normalise } from '../golden.js';
import { h2k, localVmConfig } from '../helpers.js';
import { bootUnfixed } from './unfixed-boot.js';

const DISK = 'luks-vmware-sparse.vmdk';
// The fixture's passphrase (build-luks-guest.sh), given to h2k in the environment only.
const PASSPHRASE = 'correct horse battery staple';
const ENV = { H2K_VAR_vault_luks: PASSPHRASE };
const VARIABLE = 'variable "vault_luks" {\n  type      = string\n  sensitive = true\n}\n';

/** Every process's argv holding the passphrase, sampled every 50 ms while `run` runs. */
async function argvWatch<T>(run: () => Promise<T>): Promise<{ result: T; seen: string[]; samples: number }> {
  const seen: string[] = [];
  let samples = 0;
  const timer = setInterval(() => {
    samples++;
    for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e)))
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (argv.includes(PASSPHRASE)) seen.push(argv.replace(/\0/g, ' '));
      } catch {
        // gone meanwhile
      }
  }, 50);
  try {
    return { result: await run(), seen, samples };
  } finally {
    clearInterval(timer);
  }
}

/** Files under `dir` (recursively) whose bytes hold the passphrase. */
function holding(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const path = join(dir, name);
    if (statSync(path).isFile() && readFileSync(path).includes(PASSPHRASE)) out.push(name);
  }
  return out;
}

describe(
  'fixture L: Debian with / in LUKS2 (crypttab by-path, cryptroot, static address)',
  { timeout: 45 * 60_000 },
  () => {
    let fixture: string;
    let dir: string;
    let sha: string;
    const outputs: string[] = [];

    before(async () => {
      fixture = await luksFixture();
      sha = await fileSha256(join(fixture, DISK));
      dir = localVmConfig(fixture, 'vault', [DISK], '  luks_keys = { "/dev/sda2" = var.vault_luks }\n');
      writeFileSync(join(dir, 'variables.h2k.hcl'), VARIABLE);
    });

    it('without a passphrase: a Critical finding that says how to give one', async () => {
      const locked = localVmConfig(fixture, 'vault', [DISK]);
      const r = await h2k(['plan', locked, '--no-color']);
      outputs.push(r.stdout, r.stderr);
      assert.equal(r.exitCode, 1, r.stderr);
      assert.match(r.stdout, /CRITICAL \[luks-root\]/);
      assert.match(r.stdout, /\/dev\/sda2: LUKS.*luks_keys = \{ "\/dev\/sda2" = var\.<name> \}/s);
    });

    it('a wrong passphrase: an error that says whose, without showing it', async () => {
      const wrong = 'not the passphrase';
      const r = await h2k(['plan', dir, '--no-color'], { env: { H2K_VAR_vault_luks: wrong } });
      assert.equal(r.exitCode, 1, r.stderr);
      assert.match(
        r.stderr,
        /vm\.vault: the passphrase luks_keys gives for \/dev\/sda2 does not open it \(.*No key available/,
      );
      assert.match(r.stderr, /hint: check the value of the variable set for it/);
      assert.ok(!(r.stdout + r.stderr).includes(wrong), 'h2k printed the passphrase');
    });

    it('the unfixed source does not boot on KVM: cryptroot never finds its disk to ask a passphrase for', async () => {
      const v = await bootUnfixed({
        images: [join(fixture, DISK)],
        guest: {
          root: '/dev/mapper/sda2_crypt',
          mounts: [{ mountpoint: '/boot', device: '/dev/sda1' }],
          bootloader: '/boot/grub/grub.cfg',
          luks: { device: '/dev/sda2', name: 'sda2_crypt', passphrase: PASSPHRASE },
        },
      });
      assert.equal(v.passed, false);
      assert.equal(v.failure, 'the initramfs could not find the root disk');
      const serial = readFileSync(v.serialLog, 'latin1');
      // cryptroot waits for the LUKS partition by its VMware by-path name, in vain; then / is given up.
      assert.match(serial, /cryptsetup: Waiting for encrypted source device\s+\/dev\/disk\/by-path\/\S+-part2\.\.\./);
      assert.match(serial, /Gave up waiting for root file system device/);
      assert.doesNotMatch(serial, /Please unlock disk/, 'the unfixed guest asked for its passphrase');
    });

    it('plan: opened read-only as crypttab names it; crypttab and /boot by UUID; virtio in the initramfs', async () => {
      const { result: r, seen } = await argvWatch(() =>
        h2k(['plan', dir, '-out', join(dir, 'plan.json'), '--no-color'], { env: ENV }),
      );
      outputs.push(r.stdout, r.stderr);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.deepEqual(seen, [], 'the passphrase was in a process argv');
      golden('luks-root.plan.txt', normalise(r.stdout, fixture, dir));
      const vm = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')).vms['vm.vault'];
      const guest = vm.facts.guest;
      assert.deepEqual(guest.luks, [{ device: '/dev/sda2', name: 'sda2_crypt' }]);
      assert.equal(guest.root, '/dev/mapper/sda2_crypt');
      assert.ok(!vm.findings.some((f: { severity: string }) => f.severity === 'critical'), JSON.stringify(vm.findings));
      assert.ok(!vm.findings.some((f: { code: string }) => f.code === 'encrypted-volumes'));
      const edits = vm.actions.find((a: { stage: string }) => a.stage === 'fix').edits;
      const crypttab = edits.find((e: { path?: string }) => e.path === '/etc/crypttab');
      const luksUuid = guest.filesystems.find((f: { device: string }) => f.device === '/dev/sda2').uuid;
      assert.equal(crypttab.after, crypttab.before.replace(/\/dev\/disk\/by-path\/\S+-part2/, `UUID=${luksUuid}`));
      assert.equal(vm.network[0].addresses[0], '192.168.70.50/24');
    });

    it('apply: FIX opens it read-write, the boot test types the passphrase; boots, static address in use', async () => {
      const {
        result: r,
        seen,
        samples,
      } = await argvWatch(() => h2k(['apply', join(dir, 'plan.json'), '--no-color'], { env: ENV }));
      outputs.push(r.stdout, r.stderr);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.ok(samples > 100, `argv sampled ${samples} times`);
      assert.deepEqual(seen, [], 'the passphrase was in a process argv');
      assert.match(
        r.stderr,
        new RegExp(
          String.raw`validate: done in [\d.]+ s \(boot test passed in \d+ s \(libvirt, \w+\): default target, ` +
            String.raw`root read-write, fstab mounted, network 192\.168\.70\.50 \(static, in use\)\)`,
        ),
      );
      const serial = readFileSync(join(dir, '.h2k', 'work', 'vault', 'boot-serial.log'), 'latin1');
      assert.equal(
        serial.match(/Please unlock disk sda2_crypt/g)?.length,
        1,
        'asked once: the passphrase typed opened it',
      );
      assert.equal(await fileSha256(join(fixture, DISK)), sha, 'the source changed');
    });

    it('the passphrase is in nothing h2k printed or wrote: plan, state, audit, logs, work files, outputs', () => {
      assert.deepEqual(holding(dir), []);
      for (const text of outputs) assert.ok(!text.includes(PASSPHRASE), 'h2k printed the passphrase');
    });

    it('the output: crypttab by UUID, virtio in the initramfs, the by-path names gone', async () => {
      const g = await GuestfishSession.launch([{ path: join(dir, 'out', 'vault.qcow2'), format: 'qcow2' }], {
        readonly: true,
      });
      try {
        await g.openLuks('/dev/sda2', 'sda2_crypt', new Sensitive(PASSPHRASE), true);
        await g.run('mount-ro', '/dev/mapper/sda2_crypt', '/');
        await g.run('mount-ro', '/dev/sda1', '/boot');
        assert.match((await g.readFile('/etc/crypttab'))!, /^sda2_crypt UUID=[0-9a-f-]{36} none luks,discard$/m);
        const left = await g.run('sh', 'grep -rl by-path /etc/fstab /etc/crypttab /boot/grub/grub.cfg || true');
        assert.equal(left.trim(), '', `files still name by-path devices:\n${left}`);
        const initrd = (await g.run('glob-expand', '/boot/initrd.img-*')).trim().split('\n')[0];
        const names = await initramfsFiles((await g.readBytes(initrd))!);
        for (const m of ['virtio_blk', 'virtio_pci', 'dm-crypt'])
          assert.ok(
            names.some((n) => modulePattern(m).test(n)),
            `${m} is not in the initramfs`,
          );
        assert.ok(names.includes('cryptroot/crypttab'), 'cryptroot is not in the initramfs');
      } finally {
        await g.close();
      }
    });
  },
);
