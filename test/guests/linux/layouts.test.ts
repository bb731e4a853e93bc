// The fixers for enterprise and Ubuntu-style layouts, on guest facts shaped like the E and U fixtures
// (the e2e tests run the same modules on the real fixtures): network rebinding that keeps static
// addressing (netplan, NetworkManager, systemd-networkd), dracut, the UEFI fallback loader, LVM's
// devices file, and the findings for layouts not converted yet.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GuestFacts, LinuxGuestFacts } from '../../../src/model/guest-facts.js';
import type { NicBinding } from '../../../src/model/guest-network.js';
import type { GuestEdit } from '../../../src/model/plan.js';
import { guestEdits } from '../../../src/planner/plan-vm.js';
import { policyDefaults, type PolicySettings } from '../../../src/schema/config-schema.js';
import type { VmConfig } from '../../../src/schema/config.js';
import { UUID, guest } from './synthetic-guest.js';

const KVM_MAC = '52:54:00:aa:bb:cc';
const vm = (policy: Partial<PolicySettings>): VmConfig => ({
  address: 'vm.t',
  source: 'source.local.s',
  policyAddress: null,
  policy: { ...policyDefaults(), ...policy },
  disks: ['d.vmdk'],
});
const plan = (g: GuestFacts, policy: Partial<PolicySettings> = {}, nics: NicBinding[] = [{ mac: KVM_MAC }]) =>
  guestEdits(g, vm(policy), nics);
const written = (edits: GuestEdit[], path: string) =>
  edits.find((e): e is Extract<GuestEdit, { kind: 'write' }> => e.kind === 'write' && e.path === path)?.after;

const NETPLAN = `# This is the network config written by 'subiquity'
network:
  ethernets:
    ens192:
      match:
        macaddress: 00:50:56:8a:56:78
      set-name: ens192
      addresses:
      - 192.168.50.20/24
      nameservers:
        addresses:
        - 192.168.50.1
      routes:
      - to: default
        via: 192.168.50.1
  renderer: networkd
  version: 2
`;
const netplanGuest = (text = NETPLAN) =>
  guest({ network: { backend: 'netplan' } }, { '/etc/netplan/00-installer-config.yaml': text });

const KEYFILE = `[connection]
id=ens192
uuid=3c4f8a2e-1b7d-4e9a-8c6f-5d2b0a9e7f13
type=ethernet
interface-name=ens192

[ethernet]
mac-address=00:50:56:8A:9A:BC

[ipv4]
address1=192.168.60.30/24,192.168.60.1
dns=192.168.60.1;
method=manual

[ipv6]
method=ignore
`;
/** What E's static connection is after FIX, whichever file configures it. */
const E_STATIC = (config: string) => ({
  config,
  name: 'ens192',
  mac: KVM_MAC,
  method: 'static',
  addresses: ['192.168.60.30/24'],
  gateway: '192.168.60.1',
  dns: ['192.168.60.1'],
});
const KEYFILE_PATH = '/etc/NetworkManager/system-connections/ens192.nmconnection';
const nmGuest = (text = KEYFILE) => guest({ network: { backend: 'networkmanager' } }, { [KEYFILE_PATH]: text });

const ESP = '/boot/efi/EFI/';
const uefiGuest = (efi: Record<string, string>, over: Partial<LinuxGuestFacts> = {}) =>
  guest({ firmware: 'uefi', partition_table: 'gpt', efi_files: efi, ...over });

describe('fixers for real estates (E and U layouts)', () => {
  it('netplan: the MAC match moves to the KVM NIC, only that line changes, the static address stays', () => {
    const r = plan(netplanGuest());
    const after = written(r.edits, '/etc/netplan/00-installer-config.yaml');
    assert.equal(after, NETPLAN.replace('macaddress: 00:50:56:8a:56:78', `macaddress: ${KVM_MAC}`));
    assert.deepEqual(r.network, [
      {
        config: '/etc/netplan/00-installer-config.yaml',
        name: 'ens192',
        mac: KVM_MAC,
        method: 'static',
        addresses: ['192.168.50.20/24'],
        gateway: '192.168.50.1',
        dns: ['192.168.50.1'],
      },
    ]);
  });

  it('netplan: bound by name only, it gets a MAC match and keeps its name; network = "dhcp" makes it DHCP', () => {
    const byName = NETPLAN.replace('      match:\n        macaddress: 00:50:56:8a:56:78\n      set-name: ens192\n', '');
    const after = written(plan(netplanGuest(byName)).edits, '/etc/netplan/00-installer-config.yaml')!;
    assert.match(after, new RegExp(`match:\\n\\s+macaddress: ${KVM_MAC}\\n\\s+set-name: ens192`));
    assert.match(after, /addresses:\n {6}- 192\.168\.50\.20\/24/, 'the list style of the file is kept');
    const dhcp = plan(netplanGuest(), { network: 'dhcp' });
    const text = written(dhcp.edits, '/etc/netplan/00-installer-config.yaml')!;
    assert.match(text, /dhcp4: true/);
    assert.doesNotMatch(text, /192\.168\.50\.20|routes/);
    assert.equal(dhcp.network?.[0].method, 'dhcp');
  });

  it("netplan: a name pattern stays; a match on VMware's driver becomes a MAC match", () => {
    const pattern =
      'network:\n  version: 2\n  ethernets:\n    id0:\n      match:\n        name: "en*"\n      dhcp4: true\n';
    assert.equal(written(plan(netplanGuest(pattern)).edits, '/etc/netplan/00-installer-config.yaml'), undefined);
    const driver = pattern.replace('name: "en*"', 'driver: vmxnet3');
    const after = written(plan(netplanGuest(driver)).edits, '/etc/netplan/00-installer-config.yaml')!;
    assert.match(after, new RegExp(`macaddress: ${KVM_MAC}`));
    assert.doesNotMatch(after, /vmxnet3|set-name/);
  });

  it('netplan: the configuration already matching the KVM MAC is left alone (idempotent)', () => {
    const r = plan(netplanGuest(NETPLAN.replace('00:50:56:8a:56:78', KVM_MAC)));
    assert.equal(written(r.edits, '/etc/netplan/00-installer-config.yaml'), undefined);
    assert.equal(r.network?.[0].addresses[0], '192.168.50.20/24');
  });

  it('NetworkManager: the keyfile binds to the KVM MAC (upper case as written), loses the VMware name', () => {
    const r = plan(nmGuest());
    const after = written(r.edits, KEYFILE_PATH)!;
    assert.equal(
      after,
      KEYFILE.replace('interface-name=ens192\n', '').replace('00:50:56:8A:9A:BC', KVM_MAC.toUpperCase()),
    );
    assert.deepEqual(r.network, [E_STATIC(KEYFILE_PATH)]);
    const dhcp = written(plan(nmGuest(), { network: 'dhcp' }).edits, KEYFILE_PATH)!;
    assert.match(dhcp, /\[ipv4\]\nmethod=auto\n/);
    // A NIC's own `addressing` overrides the policy, either way.
    const perNic = plan(nmGuest(), {}, [{ mac: KVM_MAC, addressing: 'dhcp' }]);
    assert.equal(perNic.network?.[0].method, 'dhcp');
    const kept = plan(nmGuest(), { network: 'dhcp' }, [{ mac: KVM_MAC, addressing: 'preserve' }]);
    assert.equal(kept.network?.[0].method, 'static');
  });

  it('NetworkManager: a cloned MAC is a pin: kept with a warning, removed when MACs are regenerated', () => {
    const pinned = KEYFILE.replace(
      'mac-address=00:50:56:8A:9A:BC',
      'mac-address=00:50:56:8A:9A:BC\ncloned-mac-address=00:50:56:8A:9A:BC',
    );
    assert.ok(plan(nmGuest(pinned)).findings.some((f) => f.code === 'guest-mac-pinned'));
    const regen = plan(nmGuest(pinned), { mac: 'regenerate' });
    assert.doesNotMatch(written(regen.edits, KEYFILE_PATH)!, /cloned-mac-address/);
  });

  it('a configuration bound to the VMware MAC of NIC 2 goes to KVM NIC 2 (the source says which MAC)', () => {
    const nics = [
      { mac: '52:54:00:00:00:01', vmware_mac: '00:50:56:00:00:01' },
      { mac: '52:54:00:00:00:02', vmware_mac: '00:50:56:8a:9a:bc' },
    ];
    const after = written(plan(nmGuest(), {}, nics).edits, KEYFILE_PATH)!;
    assert.match(after, /mac-address=52:54:00:00:00:02/);
    const none = plan(nmGuest(), {}, [{ mac: '52:54:00:00:00:01', vmware_mac: '00:50:56:00:00:01' }]);
    assert.ok(none.findings.some((f) => f.code === 'network-unbound'));
  });

  it('systemd-networkd: [Match] moves to the KVM MAC, the addresses stay', () => {
    const unit = '[Match]\nName=ens192\n\n[Network]\nAddress=192.168.70.5/24\nGateway=192.168.70.1\nDNS=192.168.70.1\n';
    const g = guest({ network: { backend: 'systemd-networkd' } }, { '/etc/systemd/network/10-ens192.network': unit });
    const r = plan(g);
    assert.equal(
      written(r.edits, '/etc/systemd/network/10-ens192.network'),
      unit.replace('Name=ens192', `MACAddress=${KVM_MAC}`),
    );
    assert.deepEqual(r.network?.[0].addresses, ['192.168.70.5/24']);
  });

  it('dracut: a drop-in adds the virtio drivers, each kernel is rebuilt at its own initrd path', () => {
    const g = guest({
      initramfs_tool: 'dracut',
      kernels: [
        {
          version: '6.1.0-50-amd64',
          virtio: { virtio_blk: 'module', virtio_net: 'module', virtio_pci: 'module', virtio_scsi: 'module' },
          initrd: '/boot/initramfs-6.1.0-50-amd64.img',
          initrd_bytes: 3e7,
        },
      ],
    });
    const r = plan(g);
    assert.match(
      written(r.edits, '/etc/dracut.conf.d/90-h2k-virtio.conf')!,
      /^add_drivers\+=" virtio_blk virtio_net virtio_pci virtio_scsi "$/m,
    );
    const runs = r.edits.filter((e) => e.kind === 'run').map((e) => (e as { command: string[] }).command);
    assert.deepEqual(runs, [
      ['dracut', '--force', '--reproducible', '/boot/initramfs-6.1.0-50-amd64.img', '6.1.0-50-amd64'],
    ]);
    assert.ok(!r.findings.some((f) => f.code === 'initramfs-tool-unsupported'));
    const omitting = guest(
      { initramfs_tool: 'dracut' },
      { '/etc/dracut.conf.d/10-x.conf': 'omit_drivers+=" virtio_blk "\n' },
    );
    assert.ok(plan(omitting).findings.some((f) => f.code === 'initramfs-omits-virtio' && f.severity === 'critical'));
  });

  it('dracut: persistent_policy by-id (YaST) becomes by-uuid, add_device by UUID, images rebuilt', () => {
    const wwn = '6000c29f5b3e1c0d7a8e4f2b1c9d0e11';
    const conf = `persistent_policy="by-id"\nadd_device+=" /dev/disk/by-id/scsi-3${wwn}-part1 /dev/mapper/x "\n`;
    const g = guest(
      {
        initramfs_tool: 'dracut',
        disk_wwns: [wwn],
        kernels: [
          {
            version: '6.4.0-150600.23.7-default',
            virtio: { virtio_blk: 'builtin', virtio_net: 'builtin', virtio_pci: 'builtin', virtio_scsi: 'builtin' },
            initrd: '/boot/initrd-6.4.0-150600.23.7-default',
            initrd_bytes: 3e7,
          },
        ],
      },
      { '/etc/dracut.conf.d/10-persistent_policy.conf': conf },
    );
    const r = plan(g);
    assert.equal(
      written(r.edits, '/etc/dracut.conf.d/10-persistent_policy.conf'),
      `persistent_policy="by-uuid"\nadd_device+=" /dev/disk/by-uuid/${UUID} /dev/mapper/x "\n`,
    );
    // The file as YaST writes it, the policy its only line: its newline stays.
    const alone = plan(
      guest(
        { initramfs_tool: 'dracut', kernels: g.kernels },
        { '/etc/dracut.conf.d/10-persistent_policy.conf': 'persistent_policy="by-id"\n' },
      ),
    );
    assert.equal(written(alone.edits, '/etc/dracut.conf.d/10-persistent_policy.conf'), 'persistent_policy="by-uuid"\n');
    // Every driver is built in: no drop-in, but the images must drop the by-id names.
    const runs = r.edits.filter((e) => e.kind === 'run');
    assert.deepEqual(
      runs.map((e) => e.reason),
      ['rebuild /boot/initrd-6.4.0-150600.23.7-default naming devices by UUID'],
    );
    const unknown = guest(
      { initramfs_tool: 'dracut' },
      { '/etc/dracut.conf': 'add_device+=" /dev/disk/by-id/ata-X-part3 "\n' },
    );
    assert.ok(plan(unknown).findings.some((f) => f.code === 'unresolved-device' && f.severity === 'critical'));
  });

  it('UEFI: the distro loader is copied to the removable path, through shim when the guest uses it', () => {
    const grubOnly = plan(uefiGuest({ [`${ESP}debian/grubx64.efi`]: 'aa'.repeat(32) }));
    const copies = grubOnly.edits.filter((e) => e.kind === 'copy');
    assert.deepEqual(copies, [
      {
        kind: 'copy',
        from: `${ESP}debian/grubx64.efi`,
        path: `${ESP}BOOT/BOOTX64.EFI`,
        sha256: 'aa'.repeat(32),
        reason: 'a fresh KVM NVRAM has no boot entry; firmware boots the removable path',
      },
    ]);
    const shim = plan(
      uefiGuest({ [`${ESP}redhat/shimx64.efi`]: 'bb'.repeat(32), [`${ESP}redhat/grubx64.efi`]: 'cc'.repeat(32) }),
    );
    assert.deepEqual(
      shim.edits.filter((e) => e.kind === 'copy').map((e) => [(e as { from: string }).from, e.path]),
      [
        [`${ESP}redhat/shimx64.efi`, `${ESP}BOOT/BOOTX64.EFI`],
        [`${ESP}redhat/grubx64.efi`, `${ESP}BOOT/grubx64.efi`],
      ],
    );
    const present = plan(uefiGuest({ [`${ESP}debian/grubx64.efi`]: 'aa', [`${ESP}Boot/bootx64.efi`]: 'aa' }));
    assert.equal(present.edits.filter((e) => e.kind === 'copy').length, 0, 'an existing fallback (any case) stays');
    const empty = plan(uefiGuest({}));
    assert.ok(empty.findings.some((f) => f.code === 'uefi-no-loader' && f.severity === 'critical'));
  });

  it('LVM: a devices file naming VMware disks is removed; /dev/mapper names stay; sdX filters are reported', () => {
    const devices =
      '# LVM uses devices listed in this file.\nVERSION=1.1.1\n' +
      'IDTYPE=sys_wwid IDNAME=naa.6000c29a1b2c3d4e5f60718293a4b5c6 DEVNAME=/dev/sda3 PVID=abc PART=3\n';
    const g = guest(
      {},
      {
        '/etc/lvm/devices/system.devices': devices,
        '/etc/lvm/lvm.conf': 'devices {\n\tfilter = [ "a|/dev/sda|", "r|.*|" ]\n}\n',
        '/etc/fstab': '/dev/mapper/rhel-root / xfs defaults 0 0\n',
      },
    );
    const r = plan(g);
    const del = r.edits.find((e) => e.kind === 'delete' && e.path === '/etc/lvm/devices/system.devices');
    assert.match((del as { reason: string }).reason, /naa\.6000c29a1b2c3d4e5f60718293a4b5c6/);
    assert.equal(written(r.edits, '/etc/fstab'), undefined);
    assert.ok(r.findings.some((f) => f.code === 'lvm-device-filter'));
  });

  it('a btrfs root: scrubbed once more as the last command of FIX; damage found at inspection stops the plan', () => {
    const scrubbed = (result: 'clean' | 'damaged' | 'not run' | 'deferred') =>
      plan(guest({ root_fs: 'btrfs', btrfs_scrub: { result, summary: 'csum=3; 184.00MiB read' } }));
    const clean = scrubbed('clean');
    const runs = clean.edits.filter((e) => e.kind === 'run').map((e) => (e as { command: string[] }).command.join(' '));
    assert.equal(runs.at(-1), 'btrfs scrub start -B -r /');
    assert.deepEqual(
      clean.findings.filter((f) => f.code.startsWith('btrfs')),
      [],
    );
    const damaged = scrubbed('damaged').findings.find((f) => f.code === 'btrfs-scrub-errors');
    assert.equal(damaged?.severity, 'critical');
    assert.match(damaged!.message, /csum=3/);
    const deferred = scrubbed('deferred');
    assert.equal(deferred.findings.find((f) => f.code === 'btrfs-scrub-deferred')?.severity, 'info');
    assert.ok(
      deferred.edits.some((e) => e.kind === 'run' && e.command[0] === 'btrfs'),
      'remote: FIX scrubs',
    );
    const notRun = scrubbed('not run');
    assert.equal(notRun.findings.find((f) => f.code === 'btrfs-not-scrubbed')?.severity, 'warning');
    assert.ok(!notRun.edits.some((e) => e.kind === 'run' && e.command[0] === 'btrfs'), 'a scrub that cannot run');
  });

  it('layouts not converted yet are findings with stable codes', () => {
    const codes = (g: LinuxGuestFacts) => plan(g).findings.map((f) => f.code);
    assert.ok(!codes(guest({ root_fs: 'btrfs' })).some((c) => c.startsWith('btrfs')), 'btrfs roots are converted');
    assert.ok(codes(guest({ root: '/dev/md0' })).includes('md-raid-root'));
    // An opened LUKS root is converted (the plan's luks facts); a closed one is the unknown family's finding.
    assert.ok(
      !codes(guest({ root: '/dev/mapper/sda2_crypt', luks: [{ device: '/dev/sda2', name: 'sda2_crypt' }] })).includes(
        'luks-root',
      ),
    );
    assert.ok(codes(guest({}, { '/etc/multipath.conf': 'defaults {}\n' })).includes('multipath'));
    // wicked is planned now (wicked.test.ts): a guest of it without an ifcfg file has no network on KVM.
    assert.ok(codes(guest({ network: { backend: 'wicked' } })).includes('network-unconfigured'));
    const two = guest({
      kernels: [
        {
          version: '4.9.0-old',
          virtio: { virtio_blk: 'missing', virtio_net: 'missing', virtio_pci: 'missing', virtio_scsi: 'missing' },
        },
        {
          version: '6.1.0-50-amd64',
          virtio: { virtio_blk: 'module', virtio_net: 'module', virtio_pci: 'module', virtio_scsi: 'module' },
        },
      ],
    });
    assert.ok(codes(two).includes('kernel-without-virtio'));
  });

  it('BLS entries and /etc/kernel/cmdline get root by UUID like grub.cfg', () => {
    const entry = 'title Linux\nlinux /vmlinuz-6.1\noptions root=/dev/sda1 ro crashkernel=auto\n';
    const g = guest({}, { '/boot/loader/entries/abc-6.1.conf': entry, '/etc/kernel/cmdline': 'root=/dev/sda1 ro\n' });
    const r = plan(g);
    assert.match(written(r.edits, '/boot/loader/entries/abc-6.1.conf')!, /^options root=UUID=[0-9a-f-]{36} ro/m);
    assert.match(written(r.edits, '/etc/kernel/cmdline')!, /^root=UUID=/);
    // A full grub.cfg on the ESP (older UEFI installs) carries command lines too.
    const esp = guest(
      {},
      { '/boot/efi/EFI/redhat/grub.cfg': 'menuentry x {\n\tlinuxefi /vmlinuz root=/dev/sda1 ro\n}\n' },
    );
    assert.match(written(plan(esp).edits, '/boot/efi/EFI/redhat/grub.cfg')!, /linuxefi \/vmlinuz root=UUID=/);
  });

  it('resume= names the swap by UUID too; one h2k cannot resolve is a warning, not a silent wait', () => {
    const cfg = 'menuentry x {\n\tlinux /vmlinuz root=/dev/sda1 resume=/dev/sda5 ro\n}\n';
    const dflt = 'GRUB_CMDLINE_LINUX="resume=/dev/disk/by-path/pci-0000:03:00.0-scsi-0:0:0:0-part5"\n';
    const r = plan(guest({}, { '/boot/grub/grub.cfg': cfg, '/etc/default/grub': dflt }));
    assert.match(written(r.edits, '/boot/grub/grub.cfg')!, /root=UUID=[0-9a-f-]{36} resume=UUID=swap-uuid ro/);
    assert.equal(written(r.edits, '/etc/default/grub'), 'GRUB_CMDLINE_LINUX="resume=UUID=swap-uuid"\n');
    const edit = r.edits.find((e) => e.kind === 'write' && e.path === '/boot/grub/grub.cfg');
    assert.equal(edit?.reason, 'kernel command line finds / and the resume swap by UUID');
    const lost = plan(guest({}, { '/boot/grub/grub.cfg': cfg.replace('/dev/sda5', '/dev/sdc2') }));
    const f = lost.findings.find((x) => x.code === 'unresolved-resume');
    assert.equal(f?.severity, 'warning');
    assert.match(f!.message, /resume=\/dev\/sdc2 matches no swap with a UUID/);
  });

  it('by-id names of the VMware disk: by the WWN the source recorded, else reported, never kept', () => {
    const byId = '/dev/disk/by-id/scsi-36000c29f5b3e1c0d7a8e4f2b1c9d0e11-part1';
    const g = guest(
      {},
      { '/etc/fstab': `${byId} / ext4 defaults 0 1\n/dev/disk/by-id/dm-name-vg-data /data xfs defaults 0 0\n` },
    );
    const r = plan(g);
    const f = r.findings.find((x) => x.code === 'unresolved-device');
    assert.match(f!.message, new RegExp(`/etc/fstab: ${byId} \\(/\\) matches no filesystem`));
    assert.equal(r.findings.filter((x) => x.code === 'unresolved-device').length, 1, 'device-mapper names stay');
    // With the WWN the source recorded for the disk, the name is the filesystem's UUID instead.
    const known = plan({ ...g, disk_wwns: ['6000c29f5b3e1c0d7a8e4f2b1c9d0e11'] });
    assert.ok(!known.findings.some((x) => x.code === 'unresolved-device'));
    assert.match(written(known.edits, '/etc/fstab')!, /^UUID=\S+ \/ ext4 defaults 0 1$/m);
  });

  it('a SLES kernel line: root= and resume= by-id become UUID=, net.ifnames=0 (eth0 naming) and the rest stay', () => {
    const wwn = '6000c29f5b3e1c0d7a8e4f2b1c9d0e11';
    const id = (n: number) => `/dev/disk/by-id/scsi-3${wwn}-part${n}`;
    const extra = '${extra_cmdline}';
    const line = `\tlinux /boot/vmlinuz root=${id(1)} ${extra} resume=${id(5)} splash=silent net.ifnames=0 quiet`;
    const g = guest(
      { disk_wwns: [wwn] },
      {
        '/boot/grub/grub.cfg': `menuentry 'SLES 15-SP5' {\n${line}\n}\n`,
        '/etc/fstab': `${id(1)} / ext4 defaults 0 1\n`,
      },
    );
    const after = written(plan(g).edits, '/boot/grub/grub.cfg')!;
    assert.equal(
      after.split('\n')[1],
      `\tlinux /boot/vmlinuz root=UUID=${UUID} ${extra} resume=UUID=swap-uuid splash=silent net.ifnames=0 quiet`,
    );
  });

  it("SLES's grub_installdevice and /etc/sysconfig/bootloader: by-id disk and partitions moved, flags kept", () => {
    const wwn = '6000c29f5b3e1c0d7a8e4f2b1c9d0e11';
    const disk = `/dev/disk/by-id/scsi-3${wwn}`;
    const g = guest(
      { disk_wwns: [wwn] },
      {
        '/etc/default/grub_installdevice': `${disk}\n${disk}-part1\nactivate\ngeneric_mbr\n`,
        '/etc/sysconfig/bootloader':
          `LOADER_TYPE="grub"\nDEFAULT_APPEND="resume=${disk}-part5 splash=silent showopts"\n` +
          'FAILSAFE_APPEND="ide=nodma apm=off noresume"\n',
      },
    );
    const r = plan(g);
    assert.equal(
      written(r.edits, '/etc/default/grub_installdevice'),
      '/dev/vda\n/dev/disk/by-partuuid/abcd-01\nactivate\ngeneric_mbr\n',
    );
    assert.equal(
      written(r.edits, '/etc/sysconfig/bootloader'),
      'LOADER_TYPE="grub"\nDEFAULT_APPEND="resume=UUID=swap-uuid splash=silent showopts"\n' +
        'FAILSAFE_APPEND="ide=nodma apm=off noresume"\n',
    );
    assert.deepEqual(
      r.findings.filter((f) => f.code === 'unresolved-install-device'),
      [],
    );
    // A name of a disk this VM does not have stays, reported; the second disk is vdb; idempotent after.
    const other = '/dev/disk/by-id/scsi-36000c2900000000000000000000000ff';
    const two = guest(
      { disk_wwns: [wwn, 'ab'.repeat(16)] },
      {
        '/etc/default/grub_installdevice': `/dev/disk/by-id/scsi-3${'ab'.repeat(16)}\n${other}\n/dev/sda\n`,
      },
    );
    const r2 = plan(two);
    assert.equal(written(r2.edits, '/etc/default/grub_installdevice'), `/dev/vdb\n${other}\n/dev/vda\n`);
    assert.deepEqual(
      r2.findings.filter((f) => f.code === 'unresolved-install-device').map((f) => f.severity),
      ['warning'],
    );
    const text = written(r.edits, '/etc/default/grub_installdevice')!;
    const fixed = { ...g, files: { ...g.files, '/etc/default/grub_installdevice': { kind: 'file' as const, text } } };
    assert.equal(written(plan(fixed).edits, '/etc/default/grub_installdevice'), undefined, 'idempotent');
  });

  it('a file the guest does not have yet is a create edit (FIX refuses it if the file appeared since)', () => {
    const g = guest({ initramfs_tool: 'dracut', kernels: guest().kernels.map((k) => ({ ...k, initrd: '/boot/x' })) });
    const e = plan(g).edits.find((x) => x.kind === 'write' && x.path === '/etc/dracut.conf.d/90-h2k-virtio.conf');
    assert.deepEqual([e?.kind === 'write' && e.create, e?.kind === 'write' && e.before], [true, '']);
    const again = guest(
      { initramfs_tool: 'dracut' },
      { '/etc/dracut.conf.d/90-h2k-virtio.conf': (e as { after: string }).after },
    );
    assert.equal(written(plan(again).edits, '/etc/dracut.conf.d/90-h2k-virtio.conf'), undefined, 'idempotent');
  });

  it('ifcfg (network-scripts, NetworkManager ifcfg-rh): HWADDR rebound, DEVICE kept, static addressing kept', () => {
    const ifcfg =
      'TYPE=Ethernet\nBOOTPROTO=none\nNAME=ens192\nDEVICE=ens192\nONBOOT=yes\nHWADDR=00:50:56:8A:9A:BC\n' +
      'IPADDR=192.168.60.30\nPREFIX=24\nGATEWAY=192.168.60.1\nDNS1=192.168.60.1\n';
    const path = '/etc/sysconfig/network-scripts/ifcfg-ens192';
    for (const backend of ['network-scripts', 'networkmanager']) {
      const r = plan(guest({ network: { backend } }, { [path]: ifcfg }));
      assert.equal(written(r.edits, path), ifcfg.replace('00:50:56:8A:9A:BC', KVM_MAC.toUpperCase()), backend);
      assert.deepEqual(r.network, [E_STATIC(path)]);
    }
    const dhcp = written(
      plan(guest({ network: { backend: 'network-scripts' } }, { [path]: ifcfg }), { network: 'dhcp' }).edits,
      path,
    )!;
    assert.match(dhcp, /^BOOTPROTO=dhcp$/m);
    assert.doesNotMatch(dhcp, /IPADDR|PREFIX|GATEWAY/);
  });
});
