// The Windows module's pure parts: the registry texts, the planner's edits and findings, virtio-win's
// layout, the first-boot files, NTFS's own safety flags. Hives are made and read back with hivex.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { GuestEdit } from '../../../src/model/plan.js';
import { policyDefaults, type PolicySettings } from '../../../src/schema/config-schema.js';
import { gptIni, nextScriptIndex, scriptsIni } from '../../../src/guests/windows/first-boot.js';
import { Hive } from '../../../src/guests/windows/hive.js';
import { hibernated, volumeDirty, volumeRecordRange } from '../../../src/guests/windows/ntfs.js';
import { planWindows } from '../../../src/guests/windows/plan.js';
import { HiveChanges, RegistryView, dword, expandSz, multiSz, sz } from '../../../src/guests/windows/registry.js';
import { parseInf, virtioArchDir, virtioOsDir } from '../../../src/guests/windows/virtio-win.js';
import { emptyHive } from '../../fixtures/empty-hive.js';
import { windowsGuest } from '../linux/synthetic-guest.js';
import { tempDir } from '../../helpers.js';

const policy = (p: Partial<PolicySettings> = {}): PolicySettings => ({
  ...policyDefaults(),
  virtio_win: 'virtio-win',
  ...p,
});
const NIC = { mac: '52:54:00:aa:bb:cc', vmware_mac: '00:50:56:8a:20:19' };
const registryEdit = (edits: GuestEdit[], hive: string) =>
  edits.find((e): e is Extract<GuestEdit, { kind: 'registry' }> => e.kind === 'registry' && e.hive.endsWith(hive));
const written = (edits: GuestEdit[], path: string) =>
  edits.find((e): e is Extract<GuestEdit, { kind: 'write' }> => e.kind === 'write' && e.path.endsWith(path))?.after;

describe('registry hives: h2k reads what hivex writes', () => {
  it('merge text from HiveChanges, merged by hivexregedit, reads back as planned (long values too)', () => {
    const dir = tempDir();
    const hive = join(dir, 'SYSTEM');
    writeFileSync(hive, emptyHive());
    const view = new RegistryView([{ path: '', values: {}, subkeys: [] }]);
    const long = 'x'.repeat(9000); // 18 KB of UTF-16: stored as "big data" segments
    const changes = new HiveChanges('HKEY_LOCAL_MACHINE\\SYSTEM', view)
      .set('ControlSet001\\Services\\viostor', {
        Start: dword(0),
        ImagePath: expandSz('system32\\drivers\\viostor.sys'),
      })
      .set('ControlSet001\\Services\\viostor', { Group: sz('SCSI "miniport"'), Long: sz(long) })
      .set('DriverDatabase\\DriverInfFiles\\oem2.inf', { '': multiSz(['viostor.inf_amd64_1', 'two']) });
    const t = changes.texts();
    writeFileSync(join(dir, 'merge.reg'), t.merge);
    execFileSync('hivexregedit', ['--merge', '--prefix', 'HKEY_LOCAL_MACHINE\\SYSTEM', hive, join(dir, 'merge.reg')]);
    const h = new Hive(readFileSync(hive));
    assert.deepEqual(h.key('controlset001\\services\\VIOSTOR')?.values, {
      Start: dword(0),
      ImagePath: expandSz('system32\\drivers\\viostor.sys'),
      Group: sz('SCSI "miniport"'),
      Long: sz(long),
    });
    assert.deepEqual(
      h.key('DriverDatabase\\DriverInfFiles\\oem2.inf')?.values[''],
      multiSz(['viostor.inf_amd64_1', 'two']),
    );
    assert.deepEqual(h.key('ControlSet001')?.subkeys, ['Services']);
    assert.equal(h.key('ControlSet001\\Services\\nope'), undefined);
    assert.equal(t.keys, 6, 'two keys with values and the four ancestors they need');
    assert.equal(t.values, 5);
  });

  it('before/after show every value of a changed key; unchanged values and keys are left out', () => {
    const view = new RegistryView([
      { path: '', values: {}, subkeys: ['Other', 'Software'] },
      { path: 'Software', values: { A: sz('1'), B: dword(2) }, subkeys: [] },
    ]);
    const t = new HiveChanges('HKLM', view).set('software', { B: dword(3), A: sz('1') }).texts();
    assert.match(t.before, /\[HKLM\\Software\]\n"A"="1"\n"B"=dword:00000002/);
    assert.match(t.after, /\[HKLM\\Software\]\n"A"="1"\n"B"=dword:00000003/);
    assert.doesNotMatch(t.merge, /"A"/, 'only changed values are merged');
    assert.equal(new HiveChanges('HKLM', view).set('Software', { A: sz('1') }).texts().keys, 0);
    assert.throws(() => new HiveChanges('HKLM', view).set('Other\\Key', { A: sz('1') }).texts(), /did not read/);
    assert.equal(
      new HiveChanges('HKLM', view).set('New\\Key', { A: sz('1') }).texts().keys,
      2,
      'known absent: created',
    );
  });
});

describe('Windows planner', () => {
  it('Windows 8 / 2012 and later: viostor in the DriverDatabase under the first free oemN.inf', () => {
    const { edits, findings } = planWindows(windowsGuest(), policy(), [NIC]);
    const system = registryEdit(edits, 'SYSTEM')!;
    assert.match(system.merge, /\[HKEY_LOCAL_MACHINE\\SYSTEM\\DriverDatabase\\DriverInfFiles\\oem2\.inf\]/);
    assert.match(
      system.merge,
      /DeviceIds\\PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00\]\n"oem2.inf"=hex:01,ff,00,00/,
    );
    assert.match(system.merge, /Services\\viostor\]\n"ErrorControl"=dword:00000001\n"Group"="SCSI miniport"/);
    assert.match(system.merge, /"Start"=dword:00000000/);
    assert.doesNotMatch(system.merge, /CriticalDeviceDatabase/);
    assert.doesNotMatch(system.merge, /^;/m, 'no comments for hivexregedit');
    assert.match(
      system.after,
      /^; ImagePath = system32\\drivers\\viostor\.sys$/m,
      'the reviewer sees hex values decoded',
    );
    const uploads = edits.filter((e) => e.kind === 'upload').map((e) => e.path);
    assert.ok(uploads.includes('/C/Windows/System32/drivers/viostor.sys'));
    assert.ok(uploads.includes('/C/Windows/Drivers/VirtIO/NetKVM/netkvm.inf'));
    const ps1 = written(edits, 'firstboot.ps1')!;
    assert.match(ps1, /EnableStatic\(@\('10\.20\.30\.40'\), @\('255\.255\.255\.0'\)\)/);
    assert.match(ps1, /NicByMac '52-54-00-AA-BB-CC'/, 'the static address goes to the KVM NIC, found by its MAC');
    assert.match(ps1, /'\/x', '\{8E1A9A6B-3C50-4F36-9D64-57B1F2C0A1D7\}'/);
    assert.match(ps1, /pnputil\.exe -i -a 'C:\\Windows\\Drivers\\VirtIO\\NetKVM\\netkvm\.inf'/);
    assert.ok(ps1.includes('\r\n') && !/[^\r]\n/.test(ps1), 'CRLF line ends');
    assert.deepEqual(
      findings.map((f) => f.code),
      ['windows-vmware-tools'],
    );
  });

  it('before Windows 8: CriticalDeviceDatabase entries instead', () => {
    const g = windowsGuest({
      driver_database: false,
      os: { ...windowsGuest().os, major: 6, minor: 1, product: 'Windows Server 2008 R2' },
      registry: {
        ...windowsGuest().registry,
        system: [
          { path: '', values: {}, subkeys: ['ControlSet001', 'Select'] },
          { path: 'ControlSet001', values: {}, subkeys: ['Control', 'Services'] },
          { path: 'ControlSet001\\Control', values: {}, subkeys: ['CriticalDeviceDatabase'] },
          { path: 'ControlSet001\\Control\\CriticalDeviceDatabase', values: {}, subkeys: [] },
          { path: 'ControlSet001\\Services', values: {}, subkeys: ['partmgr'] },
          { path: 'ControlSet001\\Services\\partmgr', values: {}, subkeys: [] },
        ],
      },
    });
    const system = registryEdit(planWindows(g, policy(), [NIC]).edits, 'SYSTEM')!;
    assert.match(
      system.merge,
      new RegExp(
        String.raw`CriticalDeviceDatabase\\pci#ven_1af4&dev_1001&subsys_00021af4&rev_00\]\n` +
          String.raw`"ClassGUID"="\{4D36E97B-E325-11CE-BFC1-08002BE10318\}"\n"Service"="viostor"`,
      ),
    );
    assert.doesNotMatch(system.merge, /DriverDatabase/);
    assert.match(
      system.merge,
      /\[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\partmgr\\Parameters\]\n"SanPolicy"/,
    );
  });

  it('no virtio drivers, BitLocker, hibernation, dynamic disks: Critical; no drivers, no changes', () => {
    const bare = windowsGuest(
      {
        unsafe: [
          { code: 'bitlocker', device: '/dev/sdb1' },
          { code: 'ntfs-hibernated', device: '/dev/sda2' },
          { code: 'dynamic-disk', device: '/dev/sdc1' },
        ],
      },
      false,
    );
    const none = planWindows(bare, policy({ virtio_win: undefined }), [NIC]);
    assert.deepEqual(none.edits, []);
    assert.deepEqual(
      none.findings
        .filter((f) => f.severity === 'critical')
        .map((f) => f.code)
        .sort(),
      ['windows-bitlocker', 'windows-dynamic-disk', 'windows-hibernated', 'windows-no-virtio-win'],
    );
    const missing = planWindows({ ...bare, virtio_win_problem: 'virtio_win x has no viostor/2k19/amd64' }, policy(), [
      NIC,
    ]);
    assert.ok(missing.findings.some((f) => f.code === 'windows-virtio-missing' && f.message.includes('2k19/amd64')));
  });

  it('a UTF-16 scripts.ini (as gpedit writes it) is refused, not rewritten', () => {
    const path = windowsGuest().paths.scripts_ini;
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('[Startup]\r\n0CmdLine=x.cmd\r\n', 'utf16le')]);
    const g = windowsGuest({ files: { [path]: { kind: 'file', text: bytes.toString('utf8') } } });
    const r = planWindows(g, policy(), [NIC]);
    assert.ok(r.findings.some((f) => f.code === 'windows-gp-file-encoding' && f.severity === 'critical'));
    assert.equal(written(r.edits, 'scripts.ini'), undefined);
  });

  it('network policy: dhcp moves static adapters to DHCP, keep leaves them; two adapters: a warning', () => {
    const dhcp = written(planWindows(windowsGuest(), policy({ network: 'dhcp' }), [NIC]).edits, 'firstboot.ps1')!;
    assert.match(dhcp, /EnableDHCP\(\)/);
    assert.doesNotMatch(dhcp, /EnableStatic/);
    const keep = written(planWindows(windowsGuest(), policy({ network: 'keep' }), [NIC]).edits, 'firstboot.ps1')!;
    assert.doesNotMatch(keep, /EnableStatic|EnableDHCP/);
    const nic = windowsGuest().nics[0];
    const two = windowsGuest({ nics: [nic, { ...nic, guid: '{B}', name: 'Ethernet1' }] });
    const r = planWindows(two, policy(), [NIC, { mac: '52:54:00:aa:bb:cd' }]);
    assert.ok(r.findings.some((f) => f.code === 'windows-nic-order'));
    assert.match(written(r.edits, 'firstboot.ps1')!, /NicByMac '52-54-00-AA-BB-CD'/);
  });

  it('UEFI: the fallback loader is written only when it is missing or not the boot manager', () => {
    const uefi = (fallback?: string) =>
      windowsGuest({
        firmware: 'uefi',
        esp: '/dev/sda1',
        efi: { boot_manager: 'a'.repeat(64), ...(fallback ? { fallback } : {}) },
        paths: {
          ...windowsGuest().paths,
          esp_boot_manager: '/ESP/EFI/Microsoft/Boot/bootmgfw.efi',
          esp_fallback: '/ESP/EFI/BOOT/BOOTX64.EFI',
        },
      });
    const copies = (fallback?: string) =>
      planWindows(uefi(fallback), policy(), [NIC]).edits.filter((e) => e.kind === 'copy');
    assert.deepEqual(
      copies().map((e) => e.kind === 'copy' && e.path),
      ['/ESP/EFI/BOOT/BOOTX64.EFI'],
    );
    assert.equal(copies('b'.repeat(64)).length, 1);
    assert.equal(copies('a'.repeat(64)).length, 0);
  });
});

describe('virtio-win layout', () => {
  it('Windows versions and architectures to virtio-win directory names', () => {
    const dir = (major: number, minor: number, variant: string, build: string) =>
      virtioOsDir({ major, minor }, variant, build);
    assert.equal(dir(6, 1, 'Server', '7601'), '2k8R2');
    assert.equal(dir(6, 3, 'Server', '9600'), '2k12R2');
    assert.equal(dir(10, 0, 'Server', '14393'), '2k16');
    assert.equal(dir(10, 0, 'Server', '17763'), '2k19');
    assert.equal(dir(10, 0, 'Server', '20348'), '2k22');
    assert.equal(dir(10, 0, 'Server', '26100'), '2k25');
    assert.equal(dir(10, 0, 'Client', '19045'), 'w10');
    assert.equal(dir(10, 0, 'Client', '22631'), 'w11');
    assert.equal(dir(6, 1, 'Client', '7601'), 'w7');
    assert.equal(dir(5, 2, 'Server', '3790'), undefined);
    assert.equal(virtioArchDir('x86_64'), 'amd64');
    assert.equal(virtioArchDir('i386'), 'x86');
  });

  it("an .inf's model section: its install section and the PCI IDs bound to it", () => {
    const inf = [
      '[Version]',
      'Provider=%VENDOR%',
      '[Manufacturer]',
      '%VENDOR% = RHEL,NTamd64.10.0',
      '[RHEL.NTamd64.10.0]',
      '%D% = rhelscsi_inst, PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00 ; legacy',
      '%D% = rhelscsi_inst, PCI\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01',
    ].join('\r\n');
    assert.deepEqual(parseInf(inf), {
      section: 'rhelscsi_inst',
      hardware_ids: ['PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00', 'PCI\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01'],
    });
    assert.equal(parseInf('[Version]\r\n'), undefined);
  });
});

describe('first-boot registration files', () => {
  it('gpt.ini: the Scripts extension added once, the machine version moved on, the user version kept', () => {
    assert.equal(
      gptIni(undefined),
      '[General]\r\nVersion=1\r\ngPCMachineExtensionNames=' +
        '[{42B5FAAE-6536-11D2-AE5A-0000F87571E3}{40B6664F-4972-11D1-A7CA-0000F87571E3}]\r\n',
    );
    const existing =
      '[General]\r\ngPCMachineExtensionNames=[{35378EAC-683F-11D2-A89A-00C04FBBCFA2}{X}]\r\nVersion=65539\r\n';
    const next = gptIni(existing);
    assert.match(next, /Version=65540\r\n/);
    assert.match(next, /=\[\{35378EAC[^\]]*\]\[\{42B5FAAE-6536-11D2-AE5A-0000F87571E3\}/);
    assert.equal(gptIni(next).match(/42B5FAAE/g)?.length, 1);
  });

  it('scripts.ini: one more [Startup] entry after those it has', () => {
    const before = '[Startup]\r\n0CmdLine=C:\\old.cmd\r\n0Parameters=\r\n[Shutdown]\r\n0CmdLine=x\r\n';
    assert.equal(nextScriptIndex(before), 1);
    assert.equal(
      scriptsIni(before, 1, 'C:\\h2k.cmd'),
      '[Startup]\r\n0CmdLine=C:\\old.cmd\r\n0Parameters=\r\n1CmdLine=C:\\h2k.cmd\r\n1Parameters=\r\n' +
        '[Shutdown]\r\n0CmdLine=x\r\n',
    );
  });
});

describe('NTFS safety flags', () => {
  it('a fresh mkntfs volume is clean; its dirty flag set, it is dirty; hiberfil.sys headers', () => {
    const img = join(tempDir(), 'ntfs.img');
    writeFileSync(img, Buffer.alloc(16 * 2 ** 20));
    execFileSync('mkntfs', ['-F', '-Q', '-q', img], { stdio: 'ignore' });
    const disk = readFileSync(img);
    const range = volumeRecordRange(disk.subarray(0, 512))!;
    const record = Buffer.from(disk.subarray(range.offset, range.offset + range.size));
    assert.equal(volumeDirty(record), false);
    // Find VOLUME_INFORMATION (0x70) the long way, by scanning for its type, and set the flag.
    const fixed = Buffer.from(record);
    const usa = fixed.readUInt16LE(4);
    fixed.writeUInt16LE(fixed.readUInt16LE(usa + 2), 510); // undo the fixup of sector 1
    let at = fixed.readUInt16LE(0x14);
    while (fixed.readUInt32LE(at) !== 0x70) at += fixed.readUInt32LE(at + 4);
    const flags = at + fixed.readUInt16LE(at + 0x14) + 10;
    record.writeUInt16LE(record.readUInt16LE(flags) | 1, flags);
    assert.equal(volumeDirty(record), true);
    assert.equal(volumeRecordRange(Buffer.alloc(512)), undefined);
    assert.equal(hibernated(Buffer.from('HIBR')), true);
    assert.equal(hibernated(Buffer.from('hibr')), true);
    assert.equal(hibernated(Buffer.from('wake')), false);
    assert.equal(hibernated(Buffer.alloc(4)), false);
  });
});
