// `govc vm.info -json` → InventoryFacts. govc 0.24 prints the vSphere objects with PascalCase keys
// and no type names; govc ≥ 0.31 prints camelCase keys and `_typeName` on every device. Keys are
// folded to camelCase first, then devices are recognised by `_typeName` when present and by their
// shape otherwise (a disk has capacityInKB, a NIC macAddress, a SCSI controller scsiCtlrUnitNumber).
import type { InventoryDisk, InventoryFacts, InventoryNic } from '../../model/source-facts.js';

type Obj = Record<string, unknown>;

/** PascalCase → camelCase keys, recursively ("VirtualMachines" → "virtualMachines"; "_typeName" kept). */
export function camelKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(camelKeys);
  if (v === null || typeof v !== 'object') return v;
  const out: Obj = {};
  for (const [k, val] of Object.entries(v as Obj)) out[k.charAt(0).toLowerCase() + k.slice(1)] = camelKeys(val);
  return out;
}

const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

const CONTROLLER_TYPES: [RegExp, string][] = [
  [/paravirtual|pvscsi/i, 'pvscsi'],
  [/lsi\s*logic\s*sas|lsilogic-?sas|LsiLogicSAS/i, 'lsilogic-sas'],
  [/lsi\s*logic|lsilogic/i, 'lsilogic'],
  [/buslogic/i, 'buslogic'],
  [/ahci|sata/i, 'sata'],
  [/nvme/i, 'nvme'],
  [/\bide\b|VirtualIDEController/i, 'ide'],
];

const NIC_TYPES: Record<string, string> = {
  VirtualVmxnet3: 'vmxnet3',
  VirtualVmxnet3Vrdma: 'vmxnet3-vrdma',
  VirtualVmxnet2: 'vmxnet2',
  VirtualVmxnet: 'vmxnet',
  VirtualE1000: 'e1000',
  VirtualE1000e: 'e1000e',
  VirtualPCNet32: 'pcnet32',
  VirtualSriovEthernetCard: 'sriov',
};

function controllerType(dev: Obj): string | undefined {
  const typeName = str(dev._typeName);
  const info = obj(dev.deviceInfo);
  const text = `${typeName} ${str(info.label)} ${str(info.summary)}`;
  const isController =
    typeName.endsWith('Controller') || 'scsiCtlrUnitNumber' in dev || /^(IDE|SATA|NVME) \d/.test(str(info.label));
  if (!isController) return undefined;
  return CONTROLLER_TYPES.find(([re]) => re.test(text))?.[1] ?? ('scsiCtlrUnitNumber' in dev ? 'scsi' : 'unknown');
}

function isDisk(dev: Obj): boolean {
  return str(dev._typeName) === 'VirtualDisk' || 'capacityInKB' in dev || 'capacityInBytes' in dev;
}

function isNic(dev: Obj): boolean {
  return 'macAddress' in dev && 'addressType' in dev;
}

function snapshotList(tree: unknown[], current: string, depth = 0): InventoryFacts['snapshots'] {
  return tree.flatMap((n) => {
    const node = obj(n);
    const ref = obj(node.snapshot);
    return [
      { name: str(node.name), depth, current: current !== '' && str(ref.value) === current },
      ...snapshotList(arr(node.childSnapshotList), current, depth + 1),
    ];
  });
}

/** One VM of `vm.info -json`, already camelCased, at inventory path `path`. */
export function inventoryFacts(raw: unknown, path: string): InventoryFacts {
  const vm = obj(raw);
  const config = obj(vm.config);
  const hardware = obj(config.hardware);
  const devices = arr(hardware.device).map(obj);
  const controllers = new Map<number, { type: string; bus: number }>();
  for (const d of devices) {
    const t = controllerType(d);
    if (t) controllers.set(num(d.key), { type: t, bus: num(d.busNumber) });
  }
  const disks: InventoryDisk[] = devices.filter(isDisk).map((d) => {
    const b = obj(d.backing);
    const ctl = controllers.get(num(d.controllerKey)) ?? { type: 'unknown', bus: 0 };
    return {
      label: str(obj(d.deviceInfo).label),
      file: str(b.fileName),
      capacity_bytes: num(d.capacityInBytes) || num(d.capacityInKB) * 1024,
      thin: b.thinProvisioned === true,
      mode: str(b.diskMode) || 'persistent',
      sharing: str(b.sharing) || 'sharingNone',
      rdm: 'lunUuid' in b || 'compatibilityMode' in b || /RawDiskMapping/.test(str(b._typeName)),
      controller: { type: ctl.type, bus: ctl.bus, unit: num(d.unitNumber) },
      change_id: str(b.changeId),
    };
  });
  const nics: InventoryNic[] = devices.filter(isNic).map((d) => {
    const b = obj(d.backing);
    const port = obj(b.port);
    return {
      label: str(obj(d.deviceInfo).label),
      mac: str(d.macAddress).toLowerCase(),
      network:
        str(b.deviceName) ||
        (port.portgroupKey ? `dvportgroup:${str(port.portgroupKey)}` : str(obj(d.deviceInfo).summary)),
      adapter: NIC_TYPES[str(d._typeName)] ?? 'unknown',
    };
  });
  const passthrough = devices
    .filter(
      (d) =>
        /PCIPassthrough|VmiROM|SriovEthernet|VirtualUSB$/.test(str(d._typeName)) ||
        ('systemId' in obj(d.backing) && 'vendorId' in obj(d.backing)),
    )
    .map((d) => str(obj(d.deviceInfo).label) || str(d._typeName));
  const vtpm = devices.some((d) => str(d._typeName) === 'VirtualTPM' || 'endorsementKeyCertificate' in d);
  const snap = obj(vm.snapshot);
  const boot = obj(config.bootOptions);
  return {
    name: str(vm.name) || str(config.name),
    path,
    uuid: str(config.uuid).toLowerCase(),
    instance_uuid: str(config.instanceUuid).toLowerCase(),
    guest_id: str(config.guestId),
    firmware: str(config.firmware) === 'efi' ? 'efi' : 'bios',
    cpus: num(hardware.numCPU) || num(hardware.numCpu) || 1,
    memory_mib: num(hardware.memoryMB) || 1024,
    power_state: str(obj(vm.runtime).powerState) || 'unknown',
    change_version: str(config.changeVersion),
    cbt: config.changeTrackingEnabled === true,
    secure_boot: boot.efiSecureBootEnabled === true,
    vtpm,
    encrypted: config.keyId !== null && config.keyId !== undefined,
    passthrough,
    disks,
    nics,
    snapshots: snapshotList(arr(snap.rootSnapshotList), str(obj(snap.currentSnapshot).value)),
  };
}

/** The VM list of a `vm.info -json` answer, in either key style. */
export function virtualMachines(answer: unknown): unknown[] {
  return arr(obj(camelKeys(answer)).virtualMachines);
}

/** "[LocalDS_0] dir/file.vmdk" → datastore and path inside it. */
export function parseDatastorePath(file: string): { datastore: string; path: string } {
  const m = /^\[([^\]]+)\]\s*(.*)$/.exec(file);
  if (!m) throw new Error(`not a datastore path: ${JSON.stringify(file)}`);
  return { datastore: m[1], path: m[2] };
}

/** "[ds] dir/disk.vmdk" + "base.vmdk" → "[ds] dir/base.vmdk": a file next to a disk. */
export function siblingOf(diskFile: string, file: string): string {
  return `${diskFile.replace(/[^/\]]*$/, '')}${file}`;
}
