// The OVF descriptor (DMTF OVF 1.x and 2.x, as VMware and others export it) read with a real XML
// parser: the files it references, its disks, and each VirtualSystem's hardware in the terms h2k
// plans with. A descriptor is refused when an href is a URL or leaves the package.
import type { XMLParser } from 'fast-xml-parser';
import { UserError } from '../../util/errors.js';
import { unsafeName } from './tar.js';
import { lazyRequire } from '../../util/lazy-require.js';

export interface OvfFile {
  id: string;
  href: string;
  size?: number;
}

export interface OvfDisk {
  /** The referenced file (href), in the order the guest sees its disks. */
  href: string;
  capacity_bytes: number;
  format: string;
  controller: { type: 'ide' | 'scsi' | 'sata' | 'nvme'; bus: number; unit: number };
}

export interface OvfNic {
  mac?: string;
  network?: string;
  adapter?: string;
}

export interface OvfSystem {
  id: string;
  name: string;
  os_type?: string;
  cpus?: number;
  memory_mib?: number;
  firmware: 'bios' | 'efi';
  disks: OvfDisk[];
  nics: OvfNic[];
}

export interface OvfDescriptor {
  files: OvfFile[];
  systems: OvfSystem[];
}

type Node = Record<string, unknown>;

const ARRAYS = new Set(['File', 'Disk', 'VirtualSystem', 'Item', 'StorageItem', 'EthernetPortItem', 'Config']);

const fxp = lazyRequire<typeof import('fast-xml-parser')>('fast-xml-parser');
let parser: XMLParser | undefined;
const xmlParser = () =>
  (parser ??= new (fxp().XMLParser)({
    ignoreAttributes: false,
    attributeNamePrefix: '@',
    removeNSPrefix: true,
    parseTagValue: false,
    parseAttributeValue: false,
    isArray: (name) => ARRAYS.has(name),
  }));

export class OvfError extends UserError {}

const list = (v: unknown): Node[] => (Array.isArray(v) ? (v as Node[]) : v ? [v as Node] : []);
const text = (v: unknown): string | undefined =>
  v === undefined || v === null ? undefined : typeof v === 'object' ? text((v as Node)['#text']) : String(v).trim();

/** "byte * 2^30", "byte", "MegaBytes" → a multiplier of bytes. */
export function allocationUnits(units: string | undefined, fallback: number): number {
  if (!units) return fallback;
  const u = units.replace(/\s+/g, '');
  const pow = /^byte\*(\d+)\^(\d+)$/i.exec(u);
  if (pow) return Number(pow[1]) ** Number(pow[2]);
  const named: Record<string, number> = {
    byte: 1,
    bytes: 1,
    kilobytes: 2 ** 10,
    megabytes: 2 ** 20,
    gigabytes: 2 ** 30,
  };
  const n = named[u.toLowerCase()];
  if (n === undefined)
    throw new OvfError(`unknown allocation units ${JSON.stringify(units)}`, 'the descriptor is malformed');
  return n;
}

function checkHref(href: string): void {
  if (/^[a-z][a-z0-9+.-]*:/i.test(href))
    throw new OvfError(
      `the descriptor references ${JSON.stringify(href)}, a URL`,
      'h2k reads only files inside the package; download them and reference them by name',
    );
  const bad = unsafeName(href);
  if (bad)
    throw new OvfError(`the descriptor references ${JSON.stringify(href)}, which ${bad}`, 'the package may be hostile');
}

const CONTROLLERS: Record<string, OvfDisk['controller']['type']> = { '5': 'ide', '6': 'scsi', '20': 'sata' };

function system(vs: Node, files: OvfFile[], disks: Node[]): OvfSystem {
  const id = String(vs['@id'] ?? '');
  const hw = list(vs.VirtualHardwareSection)[0] ?? {};
  const items = [...list(hw.Item), ...list(hw.StorageItem), ...list(hw.EthernetPortItem)];
  const get = (item: Node, key: string) => text(item[key]);
  const byType = (t: string) => items.filter((i) => get(i, 'ResourceType') === t);
  const cpu = byType('3')[0];
  const mem = byType('4')[0];
  const controllers = new Map<string, { type: OvfDisk['controller']['type']; bus: number }>();
  for (const i of items) {
    const t = get(i, 'ResourceType') ?? '';
    if (!(t in CONTROLLERS)) continue;
    const nvme = /nvme/i.test(get(i, 'ResourceSubType') ?? '');
    controllers.set(get(i, 'InstanceID') ?? '', {
      type: nvme ? 'nvme' : CONTROLLERS[t],
      bus: Number(get(i, 'Address') ?? 0),
    });
  }
  const rank = { ide: 0, scsi: 1, sata: 2, nvme: 3 };
  const ovfDisks: OvfDisk[] = byType('17')
    .map((i) => {
      const host = get(i, 'HostResource') ?? '';
      const diskId = /^ovf:\/(?:disk\/)?(.+)$/.exec(host)?.[1];
      const disk = disks.find((d) => d['@diskId'] === diskId);
      if (!disk)
        throw new OvfError(
          `${id}: a disk item names ${JSON.stringify(host)}, which no Disk declares`,
          'the descriptor is malformed',
        );
      const file = files.find((f) => f.id === disk['@fileRef']);
      if (!file)
        throw new OvfError(
          `${id}: disk ${diskId} has no file in References`,
          'disks without contents cannot be converted',
        );
      const ctl = controllers.get(get(i, 'Parent') ?? '') ?? { type: 'scsi' as const, bus: 0 };
      return {
        href: file.href,
        capacity_bytes: Number(disk['@capacity']) * allocationUnits(disk['@capacityAllocationUnits'] as string, 1),
        format: String(disk['@format'] ?? ''),
        controller: { ...ctl, unit: Number(get(i, 'AddressOnParent') ?? 0) },
      };
    })
    .sort(
      (a, b) =>
        rank[a.controller.type] - rank[b.controller.type] ||
        a.controller.bus - b.controller.bus ||
        a.controller.unit - b.controller.unit,
    );
  const nics = byType('10').map((i) => {
    const mac = get(i, 'Address');
    const network = get(i, 'Connection');
    const adapter = get(i, 'ResourceSubType');
    return {
      ...(mac ? { mac: mac.toLowerCase() } : {}),
      ...(network ? { network } : {}),
      ...(adapter ? { adapter } : {}),
    };
  });
  const configs = list(hw.Config);
  const firmware = configs.find((c) => c['@key'] === 'firmware')?.['@value'] === 'efi' ? 'efi' : 'bios';
  const os = list(vs.OperatingSystemSection)[0];
  return {
    id,
    name: text(vs.Name) ?? id,
    ...(os?.['@osType'] ? { os_type: String(os['@osType']) } : {}),
    ...(cpu ? { cpus: Number(get(cpu, 'VirtualQuantity')) } : {}),
    ...(mem
      ? {
          memory_mib: Math.round(
            (Number(get(mem, 'VirtualQuantity')) * allocationUnits(get(mem, 'AllocationUnits'), 2 ** 20)) / 2 ** 20,
          ),
        }
      : {}),
    firmware,
    disks: ovfDisks,
    nics,
  };
}

/** Every VirtualSystem, also those inside (nested) VirtualSystemCollections. */
function systems(node: Node): Node[] {
  const own = list(node.VirtualSystem);
  return [...own, ...list(node.VirtualSystemCollection).flatMap(systems)];
}

export function parseOvf(xml: string): OvfDescriptor {
  let doc: Node;
  try {
    doc = xmlParser().parse(xml, true) as Node;
  } catch (err) {
    throw new OvfError(
      `the descriptor is not well-formed XML: ${(err as Error).message.split('\n')[0]}`,
      'export it again',
    );
  }
  const env = doc.Envelope as Node | undefined;
  if (!env) throw new OvfError('the descriptor has no OVF Envelope', 'this is not an OVF descriptor');
  const files: OvfFile[] = list((env.References as Node | undefined)?.File).map((f) => {
    const href = String(f['@href'] ?? '');
    checkHref(href);
    return { id: String(f['@id'] ?? ''), href, ...(f['@size'] !== undefined ? { size: Number(f['@size']) } : {}) };
  });
  const disks = list(env.DiskSection).flatMap((s) => list(s.Disk));
  const found = systems(env).map((vs) => system(vs, files, disks));
  if (found.length === 0) throw new OvfError('the descriptor declares no VirtualSystem', 'export the VM again');
  return { files, systems: found };
}
