// A VM as an ESXi host keeps it: the .vmx (key = "value" lines) for its hardware and disks, the
// .vmsd for its snapshots. Disks are listed in the order the guest sees them.

export interface VmxDisk {
  /** As the .vmx names it: relative to the VM's directory, or an absolute datastore path. */
  file: string;
  controller: { type: 'ide' | 'scsi' | 'sata' | 'nvme'; bus: number; unit: number };
}

export interface VmxFacts {
  name: string;
  uuid?: string;
  guest_os?: string;
  cpus?: number;
  memory_mib?: number;
  firmware: 'bios' | 'efi';
  disks: VmxDisk[];
  nics: { mac?: string; adapter?: string; network?: string }[];
}

/** The .vmx format: `key = "value"`, '#' comments, |XX escapes for special characters. */
export function parseVmxText(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const m = /^\s*([A-Za-z0-9_.:-]+)\s*=\s*"(.*)"\s*$/.exec(raw);
    if (!m) continue;
    out.set(
      m[1].toLowerCase(),
      m[2].replace(/\|([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
    );
  }
  return out;
}

const RANK = { ide: 0, scsi: 1, sata: 2, nvme: 3 };

export function parseVmx(text: string, fallbackName: string): VmxFacts {
  const v = parseVmxText(text);
  const on = (k: string) => (v.get(k) ?? 'false').toLowerCase() === 'true';
  const disks: VmxDisk[] = [];
  for (const [key, file] of v) {
    const m = /^(ide|scsi|sata|nvme)(\d+):(\d+)\.filename$/.exec(key);
    if (!m) continue;
    const dev = `${m[1]}${m[2]}:${m[3]}`;
    const type = (v.get(`${dev}.devicetype`) ?? '').toLowerCase();
    // CD-ROMs and floppies carry file names too; only disks are converted.
    if (!on(`${dev}.present`) || type.includes('cdrom') || type.includes('atapi') || !/\.vmdk$/i.test(file)) continue;
    disks.push({
      file,
      controller: { type: m[1] as VmxDisk['controller']['type'], bus: Number(m[2]), unit: Number(m[3]) },
    });
  }
  disks.sort(
    (a, b) =>
      RANK[a.controller.type] - RANK[b.controller.type] ||
      a.controller.bus - b.controller.bus ||
      a.controller.unit - b.controller.unit,
  );
  const nics = [];
  for (let i = 0; v.has(`ethernet${i}.present`) || i < 10; i++) {
    if (!on(`ethernet${i}.present`)) continue;
    const mac = v.get(`ethernet${i}.address`) ?? v.get(`ethernet${i}.generatedaddress`);
    const adapter = v.get(`ethernet${i}.virtualdev`);
    const network = v.get(`ethernet${i}.networkname`);
    nics.push({
      ...(mac ? { mac: mac.toLowerCase() } : {}),
      ...(adapter ? { adapter } : {}),
      ...(network ? { network } : {}),
    });
  }
  const num = (k: string) => (v.has(k) ? Number(v.get(k)) : undefined);
  const cpus = num('numvcpus') ?? 1;
  const memory = num('memsize');
  return {
    name: v.get('displayname') ?? fallbackName,
    ...(v.get('uuid.bios') ? { uuid: v.get('uuid.bios')! } : {}),
    ...(v.get('guestos') ? { guest_os: v.get('guestos')! } : {}),
    cpus,
    ...(memory ? { memory_mib: memory } : {}),
    firmware: (v.get('firmware') ?? 'bios').toLowerCase() === 'efi' ? 'efi' : 'bios',
    disks,
    nics,
  };
}

/** Snapshot names from a .vmsd, in the file's order. */
export function parseVmsd(text: string): string[] {
  const v = parseVmxText(text);
  const names: string[] = [];
  for (const [k, val] of v) if (/^snapshot\d+\.displayname$/.test(k)) names.push(val);
  return names;
}
