// Reading a Windows guest in the plan's read-only appliance: the version and control set from its
// hives, its NICs and their TCP/IP settings, VMware Tools, what makes the disk unsafe to change
// (BitLocker, hibernation, a dirty NTFS, dynamic disks), the ESP's loaders, and virtio-win's drivers
// for it. C: is mounted at /C and the ESP at /ESP, as FIX mounts them.
import type { RegKey, WindowsGuestFacts, WindowsNic } from '../../model/guest-facts.js';
import type { GuestReader } from '../../tools/guestfish.js';
import { lines } from '../../tools/guestfish.js';
import { UserError } from '../../util/errors.js';
import { sha256 } from '../../util/hash.js';
import type { InspectionBase, InspectionHost } from '../family.js';
import { Hive } from './hive.js';
import { hibernated, volumeDirty, volumeRecordRange } from './ntfs.js';
import { registryReads } from './plan.js';
import { withAncestors } from './registry.js';
import { readVirtioWin, virtioArchDir, virtioOsDir } from './virtio-win.js';

const NET_CLASS = '{4d36e972-e325-11ce-bfc1-08002be10318}';
const ESP_TYPE = 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B';
const LDM_TYPES = ['5808C8AA-7E8F-42E0-85D2-E1E90434CFB3', 'AF9B60A0-1431-4F62-BC68-3311714A69AD'];
const ANTIVIRUS = new RegExp(
  'symantec|norton|mcafee|trellix|trend micro|sophos|crowdstrike|kaspersky|eset|sentinel ?one|carbon black|' +
    'bitdefender|cylance|cortex xdr|defender for endpoint',
  'i',
);
const NIC_DRIVERS: [RegExp, string][] = [
  [/ven_15ad&dev_07b0/i, 'vmxnet3'],
  [/ven_15ad&dev_0720/i, 'vlance'],
  [/ven_8086&dev_100f/i, 'e1000'],
  [/ven_8086&dev_10d3/i, 'e1000e'],
];

export async function inspectWindows(
  g: GuestReader,
  base: InspectionBase,
  host: InspectionHost,
): Promise<WindowsGuestFacts> {
  const unsafe = await unsafeSigns(g, base);
  const esp = await findEsp(g, base);
  await g.run('mkmountpoint', '/C');
  if (esp) await g.run('mkmountpoint', '/ESP');
  await g.run('mount-ro', base.root, '/C');
  if (esp) await g.run('mount-ro', esp, '/ESP');
  try {
    const real = (p: string) => onDisk(g, p);
    const systemroot = (await g.run('inspect-get-windows-systemroot', base.root)).trim();
    const root = await real(`/C${systemroot}`);
    const config = await real(`${root}/System32/config`);
    const hiveFile = async (name: string) => {
      const path = await real(`${config}/${name}`);
      const bytes = await g.readBytes(path);
      if (!bytes || bytes.toString('latin1', 0, 4) !== 'regf')
        throw new UserError(
          `${path.slice(2)}: ${bytes ? 'not a registry hive' : 'missing'}`,
          "h2k reads the Windows registry from it; check the disk is the VM's system disk and the guest is intact",
        );
      return { path, bytes };
    };
    const systemHive = await hiveFile('SYSTEM');
    const softwareHive = await hiveFile('SOFTWARE');
    const system = new Hive(systemHive.bytes);
    const software = new Hive(softwareHive.bytes);
    const current = (await g.run('inspect-get-windows-current-control-set', base.root)).trim();
    const cs = system.key(current)?.path ?? current;
    const nt = software.key('Microsoft\\Windows NT\\CurrentVersion');
    const str = (k: RegKey | undefined, name: string) => {
      const v = k?.values[name];
      return v && (v.type === 'sz' || v.type === 'expand_sz') ? v.data : undefined;
    };
    const variant = str(nt, 'InstallationType') ?? (await g.run('inspect-get-product-variant', base.root)).trim();
    const build = str(nt, 'CurrentBuildNumber') ?? str(nt, 'CurrentBuild') ?? '';
    const systemrootWin = str(nt, 'SystemRoot') ?? `C:${systemroot.replace(/\//g, '\\')}`;
    const efi = esp ? await efiFiles(g, real) : undefined;
    const gp = await real(`${root}/System32/GroupPolicy`);
    const paths = {
      drivers: await real(`${root}/System32/drivers`),
      virtio: await real(`${root}/Drivers/VirtIO`),
      h2k: await real(`${root}/h2k`),
      gpt_ini: await real(`${gp}/gpt.ini`),
      scripts_ini: await real(`${gp}/Machine/Scripts/scripts.ini`),
      ...(efi?.paths ?? {}),
    };
    const files: WindowsGuestFacts['files'] = {};
    for (const p of [paths.gpt_ini, paths.scripts_ini, `${paths.h2k}/firstboot.cmd`, `${paths.h2k}/firstboot.ps1`]) {
      const text = await g.readFile(p);
      if (text !== undefined) files[p] = { kind: 'file', text };
    }
    const facts: Omit<WindowsGuestFacts, 'registry'> = {
      family: 'windows',
      os: base.os,
      firmware: esp && efi?.hashes.boot_manager ? 'uefi' : 'bios',
      partition_table: base.partition_table,
      filesystems: base.filesystems,
      root: base.root,
      ...(esp ? { esp } : {}),
      systemroot: root.slice(2),
      systemroot_win: systemrootWin,
      variant,
      build,
      control_set: cs,
      driver_database: system.key('DriverDatabase') !== undefined,
      paths,
      nics: readNics(system, cs),
      ...vmwareTools(software),
      antivirus: products(software)
        .filter((p) => ANTIVIRUS.test(`${p.name} ${p.publisher}`))
        .map((p) => p.name)
        .sort(),
      device_install_restrictions: restrictions(software),
      unsafe: [...unsafe, ...(await hibernation(g, root, base.root))],
      hives: {
        system: { path: systemHive.path, sha256: sha256(systemHive.bytes), bytes: systemHive.bytes.length },
        software: { path: softwareHive.path, sha256: sha256(softwareHive.bytes), bytes: softwareHive.bytes.length },
      },
      ...(efi ? { efi: efi.hashes } : {}),
      space: await space(g),
      files,
    };
    Object.assign(facts, await virtio(facts, host));
    const reads = registryReads(facts);
    return {
      ...facts,
      registry: { system: capture(system, reads.system), software: capture(software, reads.software) },
    };
  } finally {
    await g.try('umount-all');
  }
}

/** Each key read with its ancestors (for the planner to know what exists), in a stable order. */
function capture(hive: Hive, reads: { path: string; tree?: boolean }[]): RegKey[] {
  const out = new Map<string, RegKey>();
  const root = hive.key('');
  if (root) out.set('', root);
  for (const r of reads) {
    for (const a of withAncestors(r.path)) {
      const k = hive.key(a);
      if (!k) break;
      out.set(k.path.toLowerCase(), k);
    }
    if (r.tree) for (const k of hive.tree(r.path)) out.set(k.path.toLowerCase(), k);
  }
  return [...out.values()].sort((a, b) => (a.path.toLowerCase() < b.path.toLowerCase() ? -1 : 1));
}

async function virtio(facts: Omit<WindowsGuestFacts, 'registry'>, host: InspectionHost) {
  const source = host.policy.virtio_win;
  if (!source) return {};
  const osDir = virtioOsDir(facts.os, facts.variant, facts.build);
  const archDir = virtioArchDir(facts.os.arch);
  if (!osDir || !archDir)
    return {
      virtio_win_problem:
        `virtio-win has no directory for ${facts.os.product} ` +
        `(${facts.os.major}.${facts.os.minor} build ${facts.build}, ${facts.os.arch})`,
    };
  const v = await readVirtioWin(source, host.configDir, osDir, archDir);
  if (!v.drivers.viostor)
    return {
      virtio_win: v,
      virtio_win_problem:
        `virtio_win ${source} has no viostor/${osDir}/${archDir}: no boot driver for ` + facts.os.product,
    };
  return { virtio_win: v };
}

function readNics(system: Hive, cs: string): WindowsNic[] {
  const cls = system.key(`${cs}\\Control\\Class\\${NET_CLASS}`);
  const out: WindowsNic[] = [];
  for (const sub of cls?.subkeys ?? []) {
    if (!/^\d{4}$/.test(sub)) continue;
    const k = system.key(`${cls!.path}\\${sub}`)!;
    const s = (n: string) => {
      const v = k.values[n];
      return v?.type === 'sz' || v?.type === 'expand_sz' ? v.data : '';
    };
    const componentId = s('ComponentId');
    const guid = s('NetCfgInstanceId');
    if (!/^pci\\/i.test(componentId) || !guid) continue; // WAN miniports, loopbacks, teams
    const tcpip = system.key(`${cs}\\Services\\Tcpip\\Parameters\\Interfaces\\${guid}`)?.values ?? {};
    const multi = (n: string) => {
      const v = tcpip[n];
      return v?.type === 'multi_sz' ? v.data : v?.type === 'sz' && v.data ? [v.data] : [];
    };
    const dhcpValue = tcpip.EnableDHCP;
    const dhcp = dhcpValue?.type === 'dword' ? dhcpValue.data !== 0 : true;
    const ips = multi('IPAddress');
    const masks = multi('SubnetMask');
    const dnsValue = tcpip.NameServer;
    const name = system.key(`${cs}\\Control\\Network\\${NET_CLASS}\\${guid}\\Connection`)?.values.Name;
    out.push({
      guid,
      driver: NIC_DRIVERS.find(([re]) => re.test(componentId))?.[1] ?? componentId,
      description: s('DriverDesc'),
      ...(name?.type === 'sz' ? { name: name.data } : {}),
      dhcp,
      addresses: dhcp ? [] : ips.map((ip, i) => ({ ip, mask: masks[i] ?? '' })).filter((a) => a.ip !== '0.0.0.0'),
      gateways: dhcp ? [] : multi('DefaultGateway'),
      dns: dnsValue?.type === 'sz' ? dnsValue.data.split(/[\s,]+/).filter(Boolean) : [],
    });
  }
  return out;
}

function products(software: Hive): { code: string; name: string; publisher: string; version: string }[] {
  const uninstall = software.key('Microsoft\\Windows\\CurrentVersion\\Uninstall');
  return (uninstall?.subkeys ?? []).map((code) => {
    const v = software.key(`${uninstall!.path}\\${code}`)!.values;
    const s = (n: string) => {
      const x = v[n];
      return x?.type === 'sz' || x?.type === 'expand_sz' ? x.data : '';
    };
    return { code, name: s('DisplayName'), publisher: s('Publisher'), version: s('DisplayVersion') };
  });
}

function vmwareTools(software: Hive): Pick<WindowsGuestFacts, 'vmware_tools'> {
  const tools = products(software).find((p) => p.name === 'VMware Tools' && /^\{[0-9A-F-]{36}\}$/i.test(p.code));
  return tools ? { vmware_tools: { product_code: tools.code, name: tools.name, version: tools.version } } : {};
}

function restrictions(software: Hive): string[] {
  const k = software.key('Policies\\Microsoft\\Windows\\DeviceInstall\\Restrictions');
  return Object.entries(k?.values ?? {})
    .filter(([n, v]) => /^Deny/i.test(n) && v.type === 'dword' && v.data === 1)
    .map(([n]) => n)
    .sort();
}

/** BitLocker volumes, NTFS volumes marked dirty, LDM (dynamic disk) partitions. */
async function unsafeSigns(g: GuestReader, base: InspectionBase): Promise<WindowsGuestFacts['unsafe']> {
  const out: WindowsGuestFacts['unsafe'] = [];
  for (const f of base.filesystems) {
    if (f.type === 'BitLocker') out.push({ code: 'bitlocker', device: f.device });
    if (f.type !== 'ntfs') continue;
    const boot = await g.readRange(f.device, 0, 512);
    const range = volumeRecordRange(boot);
    if (range && volumeDirty(await g.readRange(f.device, range.offset, range.size), boot.readUInt16LE(0x0b)))
      out.push({ code: 'ntfs-unclean', device: f.device });
  }
  for (const dev of lines(await g.run('list-devices'))) {
    const table = (await g.try('part-get-parttype', dev))?.trim();
    if (!table) continue;
    for (const line of lines(await g.run('part-list', dev))) {
      const m = /part_num: (\d+)/.exec(line);
      if (!m) continue;
      const n = m[1];
      const ldm =
        table === 'msdos'
          ? (await g.try('part-get-mbr-id', dev, n))?.trim() === '66'
          : LDM_TYPES.includes(((await g.try('part-get-gpt-type', dev, n)) ?? '').trim().toUpperCase());
      if (ldm) out.push({ code: 'dynamic-disk', device: `${dev}${n}` });
    }
  }
  return out;
}

async function hibernation(g: GuestReader, root: string, device: string): Promise<WindowsGuestFacts['unsafe']> {
  const file = await onDisk(g, `${root.slice(0, 2)}/hiberfil.sys`);
  if ((await g.try('is-file', file))?.trim() !== 'true') return [];
  return hibernated(await g.readRange(file, 0, 4)) ? [{ code: 'ntfs-hibernated', device }] : [];
}

/** The GPT partition of type ESP holding a FAT filesystem. */
async function findEsp(g: GuestReader, base: InspectionBase): Promise<string | undefined> {
  if (base.partition_table !== 'gpt') return undefined;
  for (const f of base.filesystems) {
    if (f.type !== 'vfat' || f.disk_index !== 0 || f.partition === 0) continue;
    const type = (await g.try('part-get-gpt-type', '/dev/sda', String(f.partition)))?.trim().toUpperCase();
    if (type === ESP_TYPE) return f.device;
  }
  return undefined;
}

async function efiFiles(g: GuestReader, real: (p: string) => Promise<string>) {
  const manager = await real('/ESP/EFI/Microsoft/Boot/bootmgfw.efi');
  const fallback = await real('/ESP/EFI/BOOT/BOOTX64.EFI');
  const hash = async (p: string) =>
    (await g.try('is-file', p))?.trim() === 'true' ? (await g.run('checksum', 'sha256', p)).trim() : undefined;
  const m = await hash(manager);
  const f = await hash(fallback);
  return {
    paths: { esp_boot_manager: manager, esp_fallback: fallback },
    hashes: { ...(m ? { boot_manager: m } : {}), ...(f ? { fallback: f } : {}) },
  };
}

async function space(g: GuestReader): Promise<WindowsGuestFacts['space']> {
  const out: Record<string, number> = {};
  for (const l of lines(await g.run('statvfs', '/C'))) {
    const [k, v] = l.split(':').map((s) => s.trim());
    out[k] = Number(v);
  }
  return { free_bytes: out.bavail * out.bsize, total_bytes: out.blocks * out.bsize };
}

/** A path as cased on disk as far as it exists (Windows ignores case, ntfs-3g does not), the rest as
 *  given: what FIX creates goes next to what Windows already has, never beside it in other case. */
async function onDisk(g: GuestReader, path: string): Promise<string> {
  const parts = path.split('/').filter(Boolean);
  let at = '';
  for (let i = 0; i < parts.length; i++) {
    const next = (await g.try('case-sensitive-path', `${at}/${parts[i]}`))?.trim();
    if (!next || (await g.try('exists', next))?.trim() !== 'true') return [at, ...parts.slice(i)].join('/');
    at = next;
  }
  return at;
}
