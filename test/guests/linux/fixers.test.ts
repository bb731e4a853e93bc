import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { guestEdits } from '../../../src/planner/plan-vm.js';
import type { GuestFacts } from '../../../src/model/guest-facts.js';
import { grub2 } from '../../../src/guests/linux/bootloader/grub2.js';
import { BYPATH, UUID, guest, windowsGuest } from './synthetic-guest.js';
import type { GuestEdit } from '../../../src/model/plan.js';
import { policyDefaults, type PolicySettings } from '../../../src/schema/config-schema.js';
import type { VmConfig } from '../../../src/schema/config.js';

const vm = (policy: Partial<PolicySettings> = {}): VmConfig => ({
  address: 'vm.t',
  source: 'source.local.s',
  policyAddress: null,
  policy: { ...policyDefaults(), ...policy },
  disks: ['d.vmdk'],
});
const KVM_NIC = { mac: '52:54:00:aa:bb:cc', vmware_mac: '00:50:56:8a:12:34' };
const plan = (g: GuestFacts, policy: Partial<PolicySettings> = {}) => guestEdits(g, vm(policy), [KVM_NIC]);
const write = (edits: GuestEdit[], path: string) =>
  edits.find((e): e is Extract<GuestEdit, { kind: 'write' }> => e.kind === 'write' && e.path === path);

describe('fixers', () => {
  it('fstab: by-path and sdX become UUID=, spacing and comments kept', () => {
    const e = write(plan(guest()).edits, '/etc/fstab')!;
    assert.equal(
      e.after,
      `# comment ${BYPATH}\nUUID=${UUID}  /  ext4  errors=remount-ro 0 1\nUUID=swap-uuid none swap sw 0 0\n`,
    );
  });

  it('fstab: PARTUUID and LABEL modes, and keep', () => {
    assert.match(
      write(plan(guest(), { fstab_mode: 'partuuid' }).edits, '/etc/fstab')!.after,
      /^PARTUUID=abcd-01 {2}\//m,
    );
    const label = plan(guest(), { fstab_mode: 'label' });
    assert.match(write(label.edits, '/etc/fstab')!.after, /^LABEL=rootfs {2}\//m);
    assert.ok(
      label.findings.some((f) => f.code === 'unresolved-device' && f.severity === 'critical'),
      'the swap has no label',
    );
    assert.equal(write(plan(guest(), { fstab_mode: 'keep' }).edits, '/etc/fstab'), undefined);
  });

  it('fstab: a name that matches no filesystem is critical', () => {
    const r = plan(guest({}, { '/etc/fstab': '/dev/sdc1 /data ext4 defaults 0 2\n' }));
    assert.deepEqual(
      r.findings.map((f) => [f.code, f.severity]),
      [['unresolved-device', 'critical']],
    );
  });

  it('crypttab: the source device field is rewritten', () => {
    const r = plan(guest({}, { '/etc/crypttab': 'cr_data /dev/sda5 none luks\n' }));
    assert.equal(write(r.edits, '/etc/crypttab')!.after, 'cr_data UUID=swap-uuid none luks\n');
    assert.ok(r.findings.some((f) => f.code === 'encrypted-volumes'));
    // A volume inspection opened with its luks_keys passphrase: the boot test types it, no warning.
    const opened = plan(
      guest({ luks: [{ device: '/dev/sda5', name: 'cr_data' }] }, { '/etc/crypttab': 'cr_data /dev/sda5 none luks\n' }),
    );
    assert.ok(!opened.findings.some((f) => f.code === 'encrypted-volumes'));
    // Discards do not pass through a volume libguestfs opened: no fstrim to fail.
    assert.ok(plan(guest()).edits.some((e) => e.kind === 'trim'));
    assert.ok(!opened.edits.some((e) => e.kind === 'trim'));
  });

  it('grub: root= in grub.cfg and /etc/default/grub stops forcing device names', () => {
    const edits = plan(guest()).edits;
    assert.equal(
      write(edits, '/boot/grub/grub.cfg')!.after,
      `menuentry x {\n\tlinux /vmlinuz root=UUID=${UUID} ro quiet\n}\n`,
    );
    assert.equal(write(edits, '/etc/default/grub')!.after, 'GRUB_CMDLINE_LINUX=""\nGRUB_DISABLE_LINUX_UUID=false\n');
  });

  it('initramfs: virtio modules appended, then the initramfs rebuilt after all file edits', () => {
    const edits = plan(guest()).edits;
    assert.equal(
      write(edits, '/etc/initramfs-tools/modules')!.after,
      "vmw_pvscsi\n# added by h2k: drivers for KVM's virtio disks and " +
        'NICs\nvirtio_blk\nvirtio_net\nvirtio_pci\nvirtio_scsi\n',
    );
    const kinds = edits.map((e) => e.kind);
    assert.deepEqual(kinds.slice(-2), ['run', 'trim']);
    assert.ok(kinds.lastIndexOf('write') < kinds.indexOf('run'));
  });

  it('initramfs: built-in drivers are not listed; a kernel without virtio is critical', () => {
    const builtin = guest({
      kernels: [
        {
          version: 'k',
          virtio: { virtio_blk: 'builtin', virtio_net: 'module', virtio_pci: 'builtin', virtio_scsi: 'builtin' },
        },
      ],
    });
    assert.match(write(plan(builtin).edits, '/etc/initramfs-tools/modules')!.after, /# added by h2k.*\nvirtio_net\n$/);
    const none = guest({
      kernels: [
        {
          version: 'k',
          virtio: { virtio_blk: 'missing', virtio_net: 'missing', virtio_pci: 'missing', virtio_scsi: 'missing' },
        },
      ],
    });
    assert.ok(plan(none).findings.some((f) => f.code === 'no-virtio-kernel' && f.severity === 'critical'));
  });

  it('initramfs: mkinitcpio is reported, not half-handled; a full /boot is critical', () => {
    assert.ok(
      plan(guest({ initramfs_tool: 'mkinitcpio' })).findings.some((f) => f.code === 'initramfs-tool-unsupported'),
    );
    assert.ok(
      plan(guest({ space: { '/': { free_bytes: 1e6, total_bytes: 2e9 } } })).findings.some(
        (f) => f.code === 'boot-space' && f.severity === 'critical',
      ),
    );
  });

  it('network: interfaces un-pinned by pattern; only VMware-MAC .link files removed', () => {
    const edits = plan(guest()).edits;
    assert.equal(
      write(edits, '/etc/network/interfaces')!.after,
      'auto lo\niface lo inet loopback\nauto /e*/1=ens192\niface ens192 inet dhcp\n',
    );
    const deleted = edits.filter((e) => e.kind === 'delete').map((e) => (e as { path: string }).path);
    assert.ok(deleted.includes('/etc/systemd/network/10-vmware.link'));
    assert.ok(!deleted.includes('/etc/systemd/network/20-other.link'));
    assert.equal(write(plan(guest(), { network: 'keep' }).edits, '/etc/network/interfaces'), undefined);
    // wicked is planned (wicked.test.ts): without an ifcfg file of its own, the guest has no network on KVM.
    assert.ok(plan(guest({ network: { backend: 'wicked' } })).findings.some((f) => f.code === 'network-unconfigured'));
  });

  it('network: a hwaddress MAC pin is kept (warning) when MACs are preserved, removed (info) when regenerated', () => {
    const pinned =
      'auto lo\niface lo inet loopback\nallow-hotplug ens192\niface ens192 inet dhcp\n' +
      '    hwaddress ether 00:50:56:8A:12:34\n';
    const g = guest({}, { '/etc/network/interfaces': pinned });
    const kept = plan(g);
    assert.equal(
      write(kept.edits, '/etc/network/interfaces')!.after,
      pinned.replace('allow-hotplug ens192', 'auto /e*/1=ens192'),
    );
    const warning = kept.findings.find((f) => f.code === 'guest-mac-pinned')!;
    assert.equal(warning.severity, 'warning');
    assert.match(warning.message, /00:50:56:8a:12:34/);
    const regenerated = plan(g, { mac: 'regenerate' });
    assert.equal(
      write(regenerated.edits, '/etc/network/interfaces')!.after,
      'auto lo\niface lo inet loopback\nauto /e*/1=ens192\niface ens192 inet dhcp\n',
    );
    assert.equal(regenerated.findings.find((f) => f.code === 'guest-mac-pin-removed')!.severity, 'info');
    assert.ok(!plan(guest()).findings.some((f) => f.code.startsWith('guest-mac-pin')));
  });

  it('boot test copy: grub2 puts the kernel console on the serial port too, on every linux line only', () => {
    const cfg = "menuentry 'Debian' {\n\tlinux\t/vmlinuz-6.1 root=UUID=x ro quiet\n\tinitrd\t/initrd.img\n}\n";
    assert.equal(
      grub2.withSerialConsole!(cfg),
      "menuentry 'Debian' {\n\tlinux\t/vmlinuz-6.1 root=UUID=x ro quiet console=tty0 console=ttyS0,115200n8\n" +
        '\tinitrd\t/initrd.img\n}\n',
    );
  });

  it('vmware tools: the unit is unwanted and masked', () => {
    const edits = plan(guest()).edits;
    assert.ok(
      edits.some(
        (e) => e.kind === 'delete' && e.path === '/etc/systemd/system/multi-user.target.wants/open-vm-tools.service',
      ),
    );
    assert.ok(
      edits.some(
        (e) =>
          e.kind === 'symlink' && e.path === '/etc/systemd/system/open-vm-tools.service' && e.target === '/dev/null',
      ),
    );
    assert.ok(plan(guest(), { remove_vmware_tools: false }).findings.some((f) => f.code === 'vmware-tools-kept'));
  });

  it('Windows without virtio_win and unknown guests: critical, and Linux fixers step aside', () => {
    const win = plan(windowsGuest());
    assert.deepEqual(win.edits, []);
    assert.equal(win.findings[0].code, 'windows-no-virtio-win');
    assert.equal(
      plan(
        guest({
          os: { type: 'linux', distro: 'unknown', major: 0, minor: 0, product: '', arch: 'x86_64', hostname: '' },
        }),
      ).findings[0].code,
      'unknown-guest',
    );
  });

  it('idempotent: planning against the fixed files changes nothing more', () => {
    const first = plan(guest());
    const files = { ...guest().files };
    for (const e of first.edits) {
      if (e.kind === 'write') files[e.path] = { kind: 'file', text: e.after };
      if (e.kind === 'delete') delete files[e.path];
    }
    const fixed = guest({ vmware_tools: { installed: true, units: [] } });
    fixed.files = files;
    const second = plan(fixed);
    assert.deepEqual(
      second.edits.map((e) => e.kind),
      ['trim'],
    );
    assert.deepEqual(second.findings, []);
  });
});
