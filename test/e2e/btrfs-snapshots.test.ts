// A SLES-style btrfs root as YaST and snapper leave it: subvolumes under @, snapper's first snapshot
// as the default subvolume (what / really is), read-only snapshots beside it that zypper took around
// updates, fstab by /dev/disk/by-id. libguestfs 1.48 reports every snapshot as an operating system
// of its own, and plan refused the guest as multi-boot. Plan must inspect the running root and name
// the snapshots as its history (fixture S, suse-layout.test.ts, converts and boots such a guest).
//
// The same disk serves the wave's inspection: one launch for many VMs, where a clone of this disk
// (same btrfs fsid, which the kernel would mix) must be read alone, and LVM roots must be found on
// the VM whose disks hold their volume group, wherever those disks sit in the shared appliance.
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { execa } from 'execa';
import { guestfsEnv } from '../../src/tools/guestfs-backend.js';
import { fileSha256 } from '../../src/util/files.js';
import { h2k, tempDir, writeConfig } from '../helpers.js';

const BY_ID = '/dev/disk/by-id/scsi-36000c29f5b3e1c0d7a8e4f2b1c9d0e11-part2';
const SUBVOLUMES = ['var', 'usr/local', 'tmp', 'srv', 'root', 'opt', 'home', 'boot/grub2/i386-pc'];
const FSTAB = [
  `${BY_ID} / btrfs defaults 0 0`,
  ...[...SUBVOLUMES, '.snapshots'].map((s) => `${BY_ID} /${s} btrfs subvol=/@/${s} 0 0`),
  '',
].join('\n');
const OS_RELEASE = [
  'NAME="SLES"',
  'VERSION="15-SP5"',
  'VERSION_ID="15.5"',
  'PRETTY_NAME="SUSE Linux Enterprise Server 15 SP5"',
  'ID="sles"',
  'ID_LIKE="suse"',
  '',
].join('\n');
const SNAP1 = '/@/.snapshots/1/snapshot';

/** The disks, laid out by libguestfs's own commands in one launch: the SLES disk, and a VMDK of it as
 *  ESXi keeps it (a text descriptor with the disk's UUID, the WWN its guest sees, in the fstab's by-id
 *  names, and a flat extent); two small Linux guests with LVM roots, `lvm.vmdk` (VG "system" on its
 *  only disk) and `data-{1,2}.vmdk` (a VM of two disks, VG "data" on the second). */
async function guestDisks(dir: string): Promise<string> {
  const raw = join(dir, 'sles.raw');
  await execa('truncate', ['-s', '600M', raw]);
  const lvmRaws = ['lvm', 'data-1', 'data-2'].map((n) => join(dir, `${n}.raw`));
  for (const r of lvmRaws) await execa('truncate', ['-s', '64M', r]);
  writeFileSync(join(dir, 'os-release'), OS_RELEASE);
  writeFileSync(join(dir, 'leap-os-release'), 'NAME="openSUSE Leap"\nVERSION_ID="15.5"\nID="opensuse-leap"\n');
  writeFileSync(join(dir, 'fstab'), FSTAB);
  const lvmRoot = (vg: string, host: string) => [
    `lvcreate-free root ${vg} 100`,
    `mkfs ext4 /dev/${vg}/root`,
    `mount /dev/${vg}/root /`,
    ...['etc', 'bin', 'sbin', 'usr/bin', 'lib'].map((d) => `mkdir-p /${d}`),
    `upload ${join(dir, 'leap-os-release')} /etc/os-release`,
    `write /etc/fstab "/dev/${vg}/root / ext4 defaults 0 1\\n"`,
    `write /etc/hostname "${host}\\n"`,
    'umount-all',
  ];
  const script = [
    'run',
    'part-init /dev/sda gpt',
    'part-add /dev/sda p 2048 6143',
    'part-set-gpt-type /dev/sda 1 21686148-6449-6E6F-744E-656564454649',
    'part-add /dev/sda p 6144 -34',
    'mkfs btrfs /dev/sda2',
    'mount /dev/sda2 /',
    // Subvolume IDs count up from 256 in creation order: @ 256, @/.snapshots 257, snapshot 1 258.
    'btrfs-subvolume-create /@',
    'btrfs-subvolume-create /@/.snapshots',
    'mkdir /@/.snapshots/1',
    `btrfs-subvolume-create ${SNAP1}`,
    ...SUBVOLUMES.flatMap((s) => [`mkdir-p /@/${s.replace(/\/?[^/]+$/, '') || '.'}`, `btrfs-subvolume-create /@/${s}`]),
    ...[...SUBVOLUMES, '.snapshots', 'etc', 'bin', 'sbin', 'usr/bin', 'lib'].map((d) => `mkdir-p ${SNAP1}/${d}`),
    `upload ${join(dir, 'os-release')} ${SNAP1}/etc/os-release`,
    `upload ${join(dir, 'fstab')} ${SNAP1}/etc/fstab`,
    `write ${SNAP1}/etc/hostname "sap-db01\\n"`,
    'mkdir /@/.snapshots/2',
    `btrfs-subvolume-snapshot ${SNAP1} /@/.snapshots/2/snapshot ro:true`,
    'mkdir /@/.snapshots/3',
    `btrfs-subvolume-snapshot ${SNAP1} /@/.snapshots/3/snapshot ro:true`,
    'btrfs-subvolume-set-default 258 /',
    `btrfs-subvolume-show ${SNAP1}`,
    'btrfs-subvolume-get-default /',
    'umount-all',
    ...['/dev/sdb', '/dev/sdc', '/dev/sdd'].map((d) => `part-disk ${d} mbr`),
    'mkfs ext4 /dev/sdc1 label:scratch',
    'pvcreate /dev/sdb1',
    'vgcreate system /dev/sdb1',
    ...lvmRoot('system', 'app01'),
    'pvcreate /dev/sdd1',
    'vgcreate data /dev/sdd1',
    ...lvmRoot('data', 'db02'),
  ];
  const { env } = await guestfsEnv();
  const r = await execa(
    'guestfish',
    [raw, ...lvmRaws].flatMap((d) => ['-a', d]),
    { input: script.join('\n'), env: { ...process.env, ...env } },
  );
  // The default is snapshot 1, as snapper's installation leaves it.
  const id = /Subvolume ID:\s*(\d+)/.exec(r.stdout)?.[1];
  assert.equal(r.stdout.trim().split('\n').at(-1), id, r.stdout);
  const vmdk = join(dir, 'sles.vmdk');
  await execa('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=monolithicFlat', raw, vmdk]);
  // qemu-img pads its descriptor with NULs; ESXi's is plain text with the disk's UUID in it.
  const text = readFileSync(vmdk, 'latin1').replace(/\0+$/, '');
  writeFileSync(vmdk, `${text}ddb.uuid = "60 00 C2 9f 5b 3e 1c 0d-7a 8e 4f 2b 1c 9d 0e 11"\n`);
  rmSync(raw);
  for (const r of lvmRaws) {
    await execa('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', r, r.replace(/\.raw$/, '.vmdk')]);
    rmSync(r);
  }
  return vmdk;
}

function waveConfig(disks: string): string {
  const vm = (name: string, files: string[]) =>
    `vm "${name}" {\n  source = source.local.s\n  disks  = [${files.map((f) => `"${f}"`).join(', ')}]\n}\n`;
  return (
    `source "local" "s" {\n  directory = "${disks}"\n}\n\n` +
    vm('sles', ['sles.vmdk']) +
    vm('app', ['lvm.vmdk']) +
    vm('data', ['data-1.vmdk', 'data-2.vmdk']) +
    vm('sles_clone', ['clone.vmdk'])
  );
}

// One plan of the wave serves both tests: the SLES VM's plan (it is read alone, as its clone shares
// its btrfs) and the shared launch's.
describe('a SLES-style btrfs root with snapper snapshots', { timeout: 15 * 60_000 }, () => {
  let disks: string;
  let dir: string;
  let wave: Awaited<ReturnType<typeof h2k>>;
  const shas = new Map<string, string>();
  before(async () => {
    disks = tempDir();
    const vmdk = await guestDisks(disks);
    // A clone as vSphere makes one: the same disk, byte for byte (the btrfs fsid with it).
    copyFileSync(join(disks, 'sles-flat.vmdk'), join(disks, 'clone-flat.vmdk'));
    writeFileSync(
      join(disks, 'clone.vmdk'),
      readFileSync(vmdk, 'latin1').replace(/sles-flat\.vmdk/g, 'clone-flat.vmdk'),
    );
    for (const f of ['sles-flat.vmdk', 'clone-flat.vmdk', 'lvm.vmdk', 'data-1.vmdk', 'data-2.vmdk'])
      shas.set(f, await fileSha256(join(disks, f)));
    dir = writeConfig({ 'main.h2k.hcl': waveConfig(disks) });
    wave = await h2k(['plan', dir, '-out', join(dir, 'wave.json'), '--no-color']);
  });

  it('plan inspects the running root, not its snapshots: not multi-boot', () => {
    assert.doesNotMatch(wave.stderr, /several operating systems|multi-boot/);
    assert.equal(wave.exitCode, 1, wave.stderr);
    assert.match(
      wave.stdout,
      new RegExp(
        String.raw`# vm\.sles .*\n(?:(?!# ).*\n)*? {2}guest: sles SUSE Linux Enterprise Server 15 SP5, bios, ` +
          String.raw`root /dev/sda2 \(2 snapper snapshot\(s\): history, left as they are\)`,
      ),
    );
    // This root is files laid out by libguestfs: no bootloader (so the plan stops), no shell to scrub with.
    assert.match(wave.stdout, /CRITICAL \[unknown-bootloader\]/);
    assert.match(wave.stdout, /warning \[btrfs-not-scrubbed\] \/ \(\/dev\/sda2\) could not be scrubbed/);
    assert.match(wave.stderr, /Error: .*critical/i);
    // fstab names the disk by the WWN its VMDK records: resolved, so the mounts go to the UUID.
    assert.doesNotMatch(wave.stdout, /unresolved-device/);
    assert.match(
      wave.stdout,
      /^ +-\/dev\/disk\/by-id\/scsi-36000c29f5b3e1c0d7a8e4f2b1c9d0e11-part2 \/ btrfs defaults 0 0$/m,
    );
    assert.match(wave.stdout, /^ +\+UUID=[0-9a-f-]{36} \/ btrfs defaults 0 0$/m);
  });

  it('a wave shares one launch; clones are read alone; each plan equals the one from a launch of its own', async () => {
    assert.match(wave.stderr, /inspecting 2 guests in one libguestfs launch \(vm\.app, vm\.data\)/);
    for (const vm of ['app', 'data'])
      assert.match(wave.stderr, new RegExp(`vm\\.${vm}: inspected in [\\d.]+ s; one launch for 2 VMs`));
    for (const vm of ['sles', 'sles_clone'])
      assert.match(
        wave.stderr,
        new RegExp(`vm\\.${vm}: inspected in [\\d.]+ s; alone: its btrfs, LVM or md has another VM's`),
      );
    assert.match(wave.stdout, /# vm\.app .*\n(?:(?!# ).*\n)*? {2}guest: opensuse .*root \/dev\/system\/root\n/);
    assert.match(wave.stdout, /# vm\.data .*\n(?:(?!# ).*\n)*? {2}guest: opensuse .*root \/dev\/data\/root\n/);

    // vm.data sits after vm.app in the shared appliance (its disks sdb and sdc there, its VG on the
    // second): read alone, its plan is the same.
    const own = await h2k([
      'plan',
      dir,
      '-target',
      'vm.data',
      '-inspect-batch',
      '1',
      '-out',
      join(dir, 'own.json'),
      '--no-color',
    ]);
    assert.match(own.stderr, /vm\.data: reading disks and inspecting the guest \(one libguestfs launch\)/);
    const plans = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8')).vms;
    const [shared, alone] = [plans('wave.json'), plans('own.json')];
    assert.equal(JSON.stringify(shared['vm.data']), JSON.stringify(alone['vm.data']), 'shared and own launch differ');
    assert.equal(
      shared['vm.data'].facts.guest.filesystems.find((f: { label?: string }) => f.label === 'scratch')?.device,
      '/dev/sda1',
    );
    for (const [f, sha] of shas) assert.equal(await fileSha256(join(disks, f)), sha, `${f} was written`);
  });
});
