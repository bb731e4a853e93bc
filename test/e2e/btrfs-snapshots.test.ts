// A SLES-style btrfs root as YaST and snapper leave it: subvolumes under @, snapper's first snapshot
// as the default subvolume (what / really is), read-only snapshots beside it that zypper took around
// updates, fstab by /dev/disk/by-id. libguestfs 1.48 reports every snapshot as an operating system
// of its own, and plan refused the guest as multi-boot. Plan must inspect the running root and say
// what it found: btrfs roots are not converted yet, a Critical finding, with the snapshots named.
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

/** The disk, laid out by libguestfs's own commands; a VMDK of it as ESXi keeps it: a text descriptor
 *  with the disk's UUID (the WWN its guest sees, in the fstab's by-id names) and a flat extent. */
async function slesDisk(dir: string): Promise<string> {
  const raw = join(dir, 'sles.raw');
  await execa('truncate', ['-s', '600M', raw]);
  writeFileSync(join(dir, 'os-release'), OS_RELEASE);
  writeFileSync(join(dir, 'fstab'), FSTAB);
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
  ];
  const { env } = await guestfsEnv();
  const r = await execa('guestfish', ['-a', raw], { input: script.join('\n'), env: { ...process.env, ...env } });
  // The default is snapshot 1, as snapper's installation leaves it.
  const id = /Subvolume ID:\s*(\d+)/.exec(r.stdout)?.[1];
  assert.equal(r.stdout.trim().split('\n').at(-1), id, r.stdout);
  const vmdk = join(dir, 'sles.vmdk');
  await execa('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=monolithicFlat', raw, vmdk]);
  // qemu-img pads its descriptor with NULs; ESXi's is plain text with the disk's UUID in it.
  const text = readFileSync(vmdk, 'latin1').replace(/\0+$/, '');
  writeFileSync(vmdk, `${text}ddb.uuid = "60 00 C2 9f 5b 3e 1c 0d-7a 8e 4f 2b 1c 9d 0e 11"\n`);
  rmSync(raw);
  return vmdk;
}

/** Two small Linux guests with LVM roots, laid out by libguestfs: `lvm.vmdk` (VG "system" on its
 *  only disk) and `data-{1,2}.vmdk` (a VM of two disks, VG "data" on the second). */
async function lvmDisks(dir: string): Promise<void> {
  const raws = ['lvm', 'data-1', 'data-2'].map((n) => join(dir, `${n}.raw`));
  for (const raw of raws) await execa('truncate', ['-s', '64M', raw]);
  writeFileSync(join(dir, 'os-release'), 'NAME="openSUSE Leap"\nVERSION_ID="15.5"\nID="opensuse-leap"\n');
  const root = (vg: string, host: string) => [
    `lvcreate-free root ${vg} 100`,
    `mkfs ext4 /dev/${vg}/root`,
    `mount /dev/${vg}/root /`,
    ...['etc', 'bin', 'sbin', 'usr/bin', 'lib'].map((d) => `mkdir-p /${d}`),
    `upload ${join(dir, 'os-release')} /etc/os-release`,
    `write /etc/fstab "/dev/${vg}/root / ext4 defaults 0 1\\n"`,
    `write /etc/hostname "${host}\\n"`,
    'umount-all',
  ];
  const script = [
    'run',
    ...['/dev/sda', '/dev/sdb', '/dev/sdc'].map((d) => `part-disk ${d} mbr`),
    'mkfs ext4 /dev/sdb1 label:scratch',
    'pvcreate /dev/sda1',
    'vgcreate system /dev/sda1',
    ...root('system', 'app01'),
    'pvcreate /dev/sdc1',
    'vgcreate data /dev/sdc1',
    ...root('data', 'db02'),
  ];
  const { env } = await guestfsEnv();
  await execa(
    'guestfish',
    raws.flatMap((r) => ['-a', r]),
    { input: script.join('\n'), env: { ...process.env, ...env } },
  );
  for (const raw of raws) {
    await execa('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', raw, raw.replace(/\.raw$/, '.vmdk')]);
    rmSync(raw);
  }
}

const WAVE = ['sles', 'lvm', 'data', 'sles_clone'];

function waveConfig(disks: string): string {
  const vm = (name: string, files: string[]) =>
    `vm "${name}" {\n  source = source.local.s\n  disks  = [${files.map((f) => `"${f}"`).join(', ')}]\n}\n`;
  return (
    `source "local" "s" {\n  directory = "${disks}"\n}\n\n` +
    vm('sles', ['sles.vmdk']) +
    vm('lvm', ['lvm.vmdk']) +
    vm('data', ['data-1.vmdk', 'data-2.vmdk']) +
    vm('sles_clone', ['clone.vmdk'])
  );
}

describe('a SLES-style btrfs root with snapper snapshots', { timeout: 15 * 60_000 }, () => {
  let disks: string;
  let vmdk: string;
  before(async () => {
    disks = tempDir();
    vmdk = await slesDisk(disks);
  });

  it('plan inspects the running root, not its snapshots: the finding is btrfs-root, not multi-boot', async () => {
    const sha = await fileSha256(vmdk.replace(/\.vmdk$/, '-flat.vmdk'));
    const dir = writeConfig({
      'main.h2k.hcl':
        `source "local" "s" {\n  directory = "${disks}"\n}\n\n` +
        'vm "sles" {\n  source = source.local.s\n  disks  = ["sles.vmdk"]\n}\n',
    });
    const r = await h2k(['plan', dir, '--no-color']);
    assert.doesNotMatch(r.stderr, /several operating systems|multi-boot/);
    assert.equal(r.exitCode, 1, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(
        String.raw`guest: sles SUSE Linux Enterprise Server 15 SP5, bios, root /dev/sda2 ` +
          String.raw`\(2 snapper snapshot\(s\): history, left as they are\)`,
      ),
    );
    assert.match(r.stdout, /CRITICAL \[btrfs-root\] \/ is btrfs \(\/dev\/sda2\)/);
    assert.match(r.stderr, /Error: .*critical/i);
    // fstab names the disk by the WWN its VMDK records: resolved, so the mounts go to the UUID.
    assert.doesNotMatch(r.stdout, /unresolved-device/);
    assert.match(
      r.stdout,
      /^ +-\/dev\/disk\/by-id\/scsi-36000c29f5b3e1c0d7a8e4f2b1c9d0e11-part2 \/ btrfs defaults 0 0$/m,
    );
    assert.match(r.stdout, /^ +\+UUID=[0-9a-f-]{36} \/ btrfs defaults 0 0$/m);
    assert.equal(await fileSha256(vmdk.replace(/\.vmdk$/, '-flat.vmdk')), sha, 'the source was written');
  });

  it('a wave shares one launch; clones are read alone; each plan equals the one from a launch of its own', async () => {
    await lvmDisks(disks);
    // A clone as vSphere makes one: the same disk, byte for byte (the btrfs fsid with it).
    const flat = vmdk.replace(/\.vmdk$/, '-flat.vmdk');
    copyFileSync(flat, join(disks, 'clone-flat.vmdk'));
    writeFileSync(
      join(disks, 'clone.vmdk'),
      readFileSync(vmdk, 'latin1').replace(/sles-flat\.vmdk/g, 'clone-flat.vmdk'),
    );
    const shas = new Map<string, string>();
    for (const f of ['sles-flat.vmdk', 'clone-flat.vmdk', 'lvm.vmdk', 'data-1.vmdk', 'data-2.vmdk'])
      shas.set(f, await fileSha256(join(disks, f)));
    const dir = writeConfig({ 'main.h2k.hcl': waveConfig(disks) });

    const wave = await h2k(['plan', dir, '-out', join(dir, 'wave.json'), '--no-color']);
    assert.equal(wave.exitCode, 1, wave.stderr); // the btrfs roots' Critical finding
    assert.match(wave.stderr, /inspecting 2 guests in one libguestfs launch \(vm\.data, vm\.lvm\)/);
    for (const vm of ['lvm', 'data'])
      assert.match(wave.stderr, new RegExp(`vm\\.${vm}: inspected in [\\d.]+ s; one launch for 2 VMs`));
    for (const vm of ['sles', 'sles_clone'])
      assert.match(
        wave.stderr,
        new RegExp(`vm\\.${vm}: inspected in [\\d.]+ s; alone: its btrfs, LVM or md has another VM's`),
      );
    assert.match(wave.stdout, /# vm\.lvm .*\n(?:(?!# ).*\n)*? {2}guest: opensuse .*root \/dev\/system\/root\n/);
    assert.match(wave.stdout, /# vm\.data .*\n(?:(?!# ).*\n)*? {2}guest: opensuse .*root \/dev\/data\/root\n/);

    const own = await h2k([
      'plan',
      dir,
      '-target',
      'vm.lvm',
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
    for (const vm of ['vm.lvm', 'vm.data'])
      assert.equal(JSON.stringify(shared[vm]), JSON.stringify(alone[vm]), `${vm}: shared and own launch differ`);
    assert.equal(
      shared['vm.data'].facts.guest.filesystems.find((f: { label?: string }) => f.label === 'scratch')?.device,
      '/dev/sda1',
    );
    for (const [f, sha] of shas) assert.equal(await fileSha256(join(disks, f)), sha, `${f} was written`);
  });
});
