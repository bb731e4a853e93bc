// PURE: what FIX changes in a Windows guest. The virtio drivers go into the guest's own driver
// store folder and viostor is made a boot driver (the service, and the device match Windows uses
// at boot: CriticalDeviceDatabase before Windows 8 / 2012, the DriverDatabase from then on); the
// rest (installing every driver, static addresses onto the new NICs, VMware Tools) runs at the
// first boot; UEFI guests get the removable-media loader so a fresh NVRAM boots them.
import type { VirtioWinFacts, WindowsGuestFacts, WindowsNic } from '../../model/guest-facts.js';
import type { NicBinding } from '../../model/guest-network.js';
import type { GuestEdit, RawFinding } from '../../model/plan.js';
import type { PolicySettings } from '../../schema/config-schema.js';
import type { PlannedEdits } from '../family.js';
import { type FirstBootWork, firstBootCmd, firstBootPs1, gptIni, nextScriptIndex, scriptsIni } from './first-boot.js';
import { HiveChanges, RegistryView, binary, dword, expandSz, multiSz, sz } from './registry.js';
import { BOOT_DRIVER } from './virtio-win.js';

const HIVE_PREFIX = { system: 'HKEY_LOCAL_MACHINE\\SYSTEM', software: 'HKEY_LOCAL_MACHINE\\SOFTWARE' } as const;
const SCSI_CLASS = '{4D36E97B-E325-11CE-BFC1-08002BE10318}';
const GP = 'Microsoft\\Windows\\CurrentVersion\\Group Policy';
const STARTUP = [`${GP}\\Scripts\\Startup`, `${GP}\\State\\Machine\\Scripts\\Startup`];
const VIRTIO_DEVICE_PATH = '%SystemRoot%\\Drivers\\VirtIO';

type Facts = Omit<WindowsGuestFacts, 'registry' | 'files'>;

/** The DriverDatabase's name for the boot driver's package: <inf>_<arch>_<16 hex of its hash>. */
function packageName(v: VirtioWinFacts): string | undefined {
  if (!v.boot) return undefined;
  const inf = v.drivers[v.boot.driver]?.find((f) => f.path === v.boot!.inf);
  const base = v.boot.inf.split('/').pop()!.toLowerCase();
  return inf ? `${base}_${v.arch_dir.toLowerCase()}_${inf.sha256.slice(0, 16)}` : undefined;
}

const cddName = (hwid: string) => hwid.toLowerCase().replace(/\\/g, '#');

/** The registry keys the planner reads, per hive (`tree`: with every key below): inspection
 *  records exactly these, with their ancestors, so the plan's before-texts are what the guest has. */
export function registryReads(g: Facts): Record<'system' | 'software', { path: string; tree?: boolean }[]> {
  const cs = g.control_set;
  const ids = g.virtio_win?.boot?.hardware_ids ?? [];
  const pkg = g.virtio_win ? packageName(g.virtio_win) : undefined;
  const system = [
    { path: 'Select' },
    { path: `${cs}\\Services\\${BOOT_DRIVER}`, tree: true },
    { path: `${cs}\\Services\\partmgr\\Parameters` },
    ...(g.driver_database
      ? [
          { path: 'DriverDatabase\\DriverInfFiles' },
          ...ids.map((id) => ({ path: `DriverDatabase\\DeviceIds\\${id}` })),
          ...(pkg ? [{ path: `DriverDatabase\\DriverPackages\\${pkg}`, tree: true }] : []),
        ]
      : ids.map((id) => ({ path: `${cs}\\Control\\CriticalDeviceDatabase\\${cddName(id)}` }))),
  ];
  const software = [
    { path: 'Microsoft\\Windows NT\\CurrentVersion' },
    { path: 'Microsoft\\Windows\\CurrentVersion' },
    ...STARTUP.map((path) => ({ path, tree: true })),
  ];
  return { system, software };
}

/** AA-BB-CC-DD-EE-FF, as Windows prints a MAC. */
const winMac = (mac: string) => mac.toUpperCase().replace(/:/g, '-');
const winPath = (g: Facts, path: string) =>
  path.replace(/^\/C(?=\/)/, g.systemroot_win.slice(0, 2)).replace(/\//g, '\\');

export function planWindows(guest: WindowsGuestFacts, policy: PolicySettings, nics: NicBinding[]): PlannedEdits {
  const findings = windowsFindings(guest, policy);
  const v = guest.virtio_win;
  if (!policy.virtio_win || !v?.drivers[BOOT_DRIVER] || !v.boot) return { edits: [], findings };
  const edits: GuestEdit[] = [];
  const system = new HiveChanges(HIVE_PREFIX.system, new RegistryView(guest.registry.system));
  const software = new HiveChanges(HIVE_PREFIX.software, new RegistryView(guest.registry.software));

  // Every driver for this version into the guest's own driver folder; viostor also where the boot
  // loader finds it.
  const infs: string[] = [];
  for (const [driver, files] of Object.entries(v.drivers))
    for (const f of files) {
      const path = `${guest.paths.virtio}/${driver}/${f.path.split('/').pop()}`;
      edits.push({
        kind: 'upload',
        from: f.path,
        path,
        sha256: f.sha256,
        bytes: f.bytes,
        reason: `virtio-win ${driver} for ${v.os_dir}/${v.arch_dir}`,
      });
      if (/\.inf$/i.test(f.path)) infs.push(winPath(guest, path));
    }
  const sys = v.drivers[BOOT_DRIVER].find((f) => /\.sys$/i.test(f.path));
  if (sys)
    edits.push({
      kind: 'upload',
      from: sys.path,
      path: `${guest.paths.drivers}/${BOOT_DRIVER}.sys`,
      sha256: sys.sha256,
      bytes: sys.bytes,
      reason: 'the boot driver, loaded by the boot loader',
    });

  bootDriver(guest, v, system);
  system.set(`${guest.control_set}\\Services\\partmgr\\Parameters`, { SanPolicy: dword(1) });

  const current = new RegistryView(guest.registry.software).get('Microsoft\\Windows\\CurrentVersion');
  const devicePath = current?.values.DevicePath;
  const paths = devicePath?.type === 'sz' || devicePath?.type === 'expand_sz' ? devicePath.data : '%SystemRoot%\\inf';
  if (!paths.toLowerCase().split(';').includes(VIRTIO_DEVICE_PATH.toLowerCase()))
    software.set('Microsoft\\Windows\\CurrentVersion', { DevicePath: expandSz(`${paths};${VIRTIO_DEVICE_PATH}`) });

  // gpedit writes scripts.ini as UTF-16; h2k edits text files as UTF-8 and would not keep that.
  const utf16 = [guest.paths.scripts_ini, guest.paths.gpt_ini].filter((p) =>
    /^\uFFFD\uFFFD|\0/.test(text(guest, p) ?? ''),
  );
  if (utf16.length)
    findings.push({
      code: 'windows-gp-file-encoding',
      severity: 'critical',
      message:
        `${utf16.join(', ')}: UTF-16 (as gpedit writes it); h2k cannot add its first-boot startup script to it ` +
        'yet, so the drivers, addresses and VMware Tools would be left to do by hand',
    });
  else edits.push(...firstBoot(guest, policy, nics, infs, software, findings));
  for (const [hive, changes] of [
    ['system', system],
    ['software', software],
  ] as const) {
    const t = changes.texts();
    if (t.keys === 0) continue;
    edits.push({
      kind: 'registry',
      hive: guest.hives[hive].path,
      prefix: HIVE_PREFIX[hive],
      sha256: guest.hives[hive].sha256,
      before: t.before,
      after: t.after,
      merge: t.merge,
      reason: `${t.values} value(s) in ${t.keys} key(s)`,
    });
  }
  if (
    guest.firmware === 'uefi' &&
    guest.efi?.boot_manager &&
    guest.paths.esp_boot_manager &&
    guest.paths.esp_fallback &&
    guest.efi.fallback !== guest.efi.boot_manager
  )
    edits.push({
      kind: 'copy',
      from: guest.paths.esp_boot_manager,
      path: guest.paths.esp_fallback,
      sha256: guest.efi.boot_manager,
      reason: guest.efi.fallback
        ? 'the fallback loader differs from the Windows Boot Manager: a fresh NVRAM would start the old one'
        : 'a fresh NVRAM has no Windows Boot Manager entry; OVMF starts the removable-media path',
    });
  if (policy.trim) edits.push({ kind: 'trim', reason: 'discard unused blocks so CONVERT copies only live data' });
  return { edits, findings };
}

function bootDriver(g: WindowsGuestFacts, v: VirtioWinFacts, system: HiveChanges): void {
  const boot = v.boot!;
  system.set(`${g.control_set}\\Services\\${BOOT_DRIVER}`, {
    Type: dword(1),
    Start: dword(0),
    ErrorControl: dword(1),
    Group: sz('SCSI miniport'),
    ImagePath: expandSz(`system32\\drivers\\${BOOT_DRIVER}.sys`),
  });
  if (!g.driver_database) {
    for (const id of boot.hardware_ids)
      system.set(`${g.control_set}\\Control\\CriticalDeviceDatabase\\${cddName(id)}`, {
        Service: sz(BOOT_DRIVER),
        ClassGUID: sz(SCSI_CLASS),
      });
    return;
  }
  const pkg = packageName(v)!;
  // The first oemN.inf the driver store does not use yet.
  const used = new RegistryView(g.registry.system).get('DriverDatabase\\DriverInfFiles')?.subkeys ?? [];
  const numbers = new Set(
    used
      .map((n) => /^oem(\d+)\.inf$/i.exec(n)?.[1])
      .filter(Boolean)
      .map(Number),
  );
  let n = 0;
  while (numbers.has(n)) n++;
  const oem = `oem${n}.inf`;
  system.set(`DriverDatabase\\DriverInfFiles\\${oem}`, {
    '': multiSz([pkg]),
    Active: sz(pkg),
    Configurations: multiSz([boot.section]),
  });
  system.set(`DriverDatabase\\DriverPackages\\${pkg}`, { '': sz(oem) });
  system.set(`DriverDatabase\\DriverPackages\\${pkg}\\Configurations\\${boot.section}`, {
    ConfigFlags: dword(0),
    Service: sz(BOOT_DRIVER),
  });
  for (const id of boot.hardware_ids) {
    system.set(`DriverDatabase\\DeviceIds\\${id}`, { [oem]: binary([0x01, 0xff, 0x00, 0x00]) });
    system.set(`DriverDatabase\\DriverPackages\\${pkg}\\Descriptors\\${id}`, { Configuration: sz(boot.section) });
  }
}

/** The first-boot scripts, their registration as a startup script of the local Group Policy (its
 *  two files and the registry cache Windows runs startup scripts from), and what the script does. */
function firstBoot(
  g: WindowsGuestFacts,
  policy: PolicySettings,
  bindings: NicBinding[],
  infs: string[],
  software: HiveChanges,
  findings: RawFinding[],
): GuestEdit[] {
  const view = new RegistryView(g.registry.software);
  const scriptsBefore = text(g, g.paths.scripts_ini);
  const gptBefore = text(g, g.paths.gpt_ini);
  const used =
    view
      .get(STARTUP[0])
      ?.subkeys.map(Number)
      .filter((n) => Number.isInteger(n)) ?? [];
  const index = Math.max(nextScriptIndex(scriptsBefore), used.length ? Math.max(...used) + 1 : 0);
  const cmdPath = `${g.paths.h2k}/firstboot.cmd`;
  const cmd = winPath(g, cmdPath);
  const keys = STARTUP.map((k) => `${k}\\${index}`);
  for (const k of keys) {
    software.set(k, {
      'GPO-ID': sz('LocalGPO'),
      'SOM-ID': sz('Local'),
      FileSysPath: sz(`${g.systemroot_win}\\System32\\GroupPolicy\\Machine`),
      DisplayName: sz('Local Group Policy'),
      GPOName: sz('Local Group Policy'),
      PSScriptOrder: dword(1),
    });
    software.set(`${k}\\0`, {
      Script: sz(cmd),
      Parameters: sz(''),
      IsPowershell: dword(0),
      ExecTime: binary(Array(16).fill(0)),
    });
  }
  const { staticNics, dhcpNics } = nicWork(g.nics, bindings, policy, findings);
  const work: FirstBootWork = {
    systemRoot: g.systemroot_win,
    infs,
    staticNics,
    dhcpNics,
    ...(policy.remove_vmware_tools && g.vmware_tools
      ? { vmwareTools: { productCode: g.vmware_tools.product_code, name: g.vmware_tools.name } }
      : {}),
    cleanup: {
      keys,
      files: [
        { path: winPath(g, g.paths.scripts_ini), ...(scriptsBefore !== undefined ? { restore: scriptsBefore } : {}) },
        { path: winPath(g, g.paths.gpt_ini), ...(gptBefore !== undefined ? { restore: gptBefore } : {}) },
      ],
    },
  };
  const write = (path: string, before: string | undefined, after: string, reason: string): GuestEdit =>
    before === undefined
      ? { kind: 'write', path, before: '', after, reason, create: true }
      : { kind: 'write', path, before, after, reason };
  return [
    write(cmdPath, text(g, cmdPath), firstBootCmd(g.systemroot_win), 'started once at the first boot, as SYSTEM'),
    write(
      `${g.paths.h2k}/firstboot.ps1`,
      text(g, `${g.paths.h2k}/firstboot.ps1`),
      firstBootPs1(work),
      'what only Windows can do: drivers, addresses, VMware Tools',
    ),
    write(
      g.paths.scripts_ini,
      scriptsBefore,
      scriptsIni(scriptsBefore, index, cmd),
      'a machine startup script of the local Group Policy',
    ),
    write(
      g.paths.gpt_ini,
      gptBefore,
      gptIni(gptBefore),
      'the Scripts extension on, the version moved on: Windows reads the policy again at boot',
    ),
  ];
}

function text(g: WindowsGuestFacts, path: string): string | undefined {
  const f = g.files[path];
  return f?.kind === 'file' ? f.text : undefined;
}

/** Each adapter's TCP/IP settings onto the KVM NIC that replaces it. Windows keeps no MAC in its
 *  registry, so adapters pair with the VM's NICs in the order Windows numbered them. */
function nicWork(
  adapters: WindowsNic[],
  bindings: NicBinding[],
  policy: PolicySettings,
  findings: RawFinding[],
): Pick<FirstBootWork, 'staticNics' | 'dhcpNics'> {
  const staticNics: FirstBootWork['staticNics'] = [];
  const dhcpNics: FirstBootWork['dhcpNics'] = [];
  if (policy.network === 'keep') return { staticNics, dhcpNics };
  if (adapters.length > 1 && adapters.some((a) => !a.dhcp))
    findings.push({
      code: 'windows-nic-order',
      severity: 'warning',
      message:
        `${adapters.length} adapters: their settings go to the KVM NICs in the order ` +
        `Windows numbered the adapters (${adapters.map((a) => a.name ?? a.guid).join(', ')}); ` +
        'check the MACs in the first-boot script',
    });
  adapters.forEach((a, i) => {
    const b = bindings[i];
    const was = `${a.name ?? a.guid} ${a.driver}${b?.vmware_mac ? ` ${b.vmware_mac}` : ''}`;
    if (!b) {
      if (!a.dhcp)
        findings.push({
          code: 'windows-nic-unmatched',
          severity: 'warning',
          message: `${was}: static ${a.addresses.map((x) => x.ip).join(', ')} has no KVM NIC to move to`,
        });
      return;
    }
    const mode = b.addressing ?? policy.network;
    if (a.dhcp) return; // a new adapter starts with DHCP
    if (mode === 'dhcp') dhcpNics.push({ mac: winMac(b.mac), was });
    else staticNics.push({ mac: winMac(b.mac), was, addresses: a.addresses, gateways: a.gateways, dns: a.dns });
  });
  return { staticNics, dhcpNics };
}

function windowsFindings(g: WindowsGuestFacts, policy: PolicySettings): RawFinding[] {
  const out: RawFinding[] = [];
  const on = (code: WindowsGuestFacts['unsafe'][number]['code']) =>
    g.unsafe.filter((u) => u.code === code).map((u) => u.device);
  const add = (code: string, severity: RawFinding['severity'], devices: string[], message: string) => {
    if (devices.length) out.push({ code, severity, message: `${devices.join(', ')}: ${message}` });
  };
  add(
    'windows-bitlocker',
    'critical',
    on('bitlocker'),
    'BitLocker-encrypted: h2k cannot read or change it without the key, and the new firmware ' +
      'would ask for the recovery key; suspend or decrypt BitLocker in the guest, or acknowledge for a data ' +
      'volume you will unlock yourself',
  );
  add(
    'windows-hibernated',
    'critical',
    on('ntfs-hibernated'),
    'hiberfil.sys holds a hibernated system or a Fast Startup image: offline changes would be ' +
      'lost or corrupt the volume; shut Windows down fully (shutdown /s /t 0, Fast Startup off) and plan again',
  );
  add(
    'windows-ntfs-unclean',
    'critical',
    on('ntfs-unclean'),
    'the NTFS volume is marked dirty (Windows did not shut down cleanly); boot it on VMware, ' +
      'shut it down fully, and plan again',
  );
  add(
    'windows-dynamic-disk',
    'critical',
    on('dynamic-disk'),
    'a dynamic disk (LDM): h2k cannot read its volumes; convert it to a basic disk first',
  );
  if (!policy.virtio_win)
    out.push({
      code: 'windows-no-virtio-win',
      severity: 'critical',
      message:
        'no virtio_win in the policy: without the virtio drivers Windows stops at boot with ' +
        'INACCESSIBLE_BOOT_DEVICE (0x7B); give the virtio-win ISO or directory',
    });
  else if (g.virtio_win_problem)
    out.push({ code: 'windows-virtio-missing', severity: 'critical', message: g.virtio_win_problem });
  else if (g.virtio_win && !g.virtio_win.boot)
    out.push({
      code: 'windows-virtio-missing',
      severity: 'critical',
      message:
        `virtio_win ${policy.virtio_win} has no usable ` +
        `${BOOT_DRIVER}/${g.virtio_win.os_dir}/${g.virtio_win.arch_dir} (.sys and an .inf naming its PCI IDs)`,
    });
  if (g.device_install_restrictions.length)
    out.push({
      code: 'windows-device-install-restricted',
      severity: 'warning',
      message:
        `Group Policy restricts device installation ` +
        `(${g.device_install_restrictions.join(', ')}): Windows may refuse the virtio devices; ` +
        'lift it before migrating',
    });
  if (g.antivirus.length)
    out.push({
      code: 'windows-antivirus',
      severity: 'warning',
      message:
        `${g.antivirus.join(', ')}: security software may block the first-boot script or ` +
        `the new drivers; check its policy`,
    });
  if (g.vmware_tools && policy.remove_vmware_tools)
    out.push({
      code: 'windows-vmware-tools',
      severity: 'info',
      message:
        `${g.vmware_tools.name} ${g.vmware_tools.version} is uninstalled at the first ` +
        `boot (msiexec /x ${g.vmware_tools.product_code})`,
    });
  return out;
}
