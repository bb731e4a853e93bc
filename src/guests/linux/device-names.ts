// Guest device names and what they refer to. VMware-era configs name disks by controller path
// (/dev/disk/by-path/pci-…-scsi-0:0:T:0-partN), by the disk's hardware identity
// (/dev/disk/by-id/scsi-36000c29…-partN, wwn-0x…: YaST's "mount by device ID") or by kernel name
// (/dev/sdXN, /dev/hdXN); all change on KVM. These names are "radioactive": they must be replaced by
// identifiers read from the filesystems themselves. Pure.
import type { FilesystemFact } from '../../model/guest-facts.js';
import { diskIndex } from '../../util/disk-letters.js';

const BY_PATH = /^\/dev\/disk\/by-path\/.*-(?:scsi|sas|ata|nvme)-(\d+):(\d+):(\d+):(\d+)(?:-part(\d+))?$/;
const BY_PATH_ATA = /^\/dev\/disk\/by-path\/.*-ata-(\d+)(?:\.\d+)?(?:-part(\d+))?$/;
const KERNEL_NAME = /^\/dev\/(?:sd|hd|xvd)([a-z]+)(\d*)$/;
/** by-id names of hardware; those of device-mapper, LVM and md name what is on the disks, and stay. */
const BY_ID_HARDWARE = /^\/dev\/disk\/by-id\/(?!dm-|lvm-|md-)/;
/** A disk by its NAA WWN: SCSI's `scsi-3<wwn>` and the kernel's `wwn-0x<wwn>`. */
const BY_ID_WWN = /^\/dev\/disk\/by-id\/(?:scsi-3|wwn-0x)([0-9a-f]{32})(?:-part(\d+))?$/i;

export function isRadioactive(spec: string): boolean {
  return spec.startsWith('/dev/disk/by-path/') || BY_ID_HARDWARE.test(spec) || KERNEL_NAME.test(spec);
}

/** Which disk and partition a radioactive name points at, by VMware's layout or, for a by-id name, by
 *  the disks' WWNs (in disk order, as the source saw them). */
export function locate(
  spec: string,
  wwns: readonly (string | null)[] = [],
): { diskIndex: number; partition: number } | undefined {
  const id = BY_ID_WWN.exec(spec);
  if (id) {
    const diskIndex = wwns.indexOf(id[1].toLowerCase());
    return diskIndex < 0 ? undefined : { diskIndex, partition: Number(id[2] ?? 0) };
  }
  const bp = BY_PATH.exec(spec);
  // SCSI H:B:T:L: on VMware's paravirtual/LSI controllers the target is the unit number, which
  // follows disk order on controller 0.
  if (bp) return { diskIndex: Number(bp[3]), partition: Number(bp[5] ?? 0) };
  const ata = BY_PATH_ATA.exec(spec);
  if (ata) return { diskIndex: Number(ata[1]) - 1, partition: Number(ata[2] ?? 0) };
  const k = KERNEL_NAME.exec(spec);
  if (k) return { diskIndex: diskIndex(k[1]), partition: Number(k[2] || 0) };
  return undefined;
}

/** The filesystem a device spec (fstab's first field, root=, crypttab's second) refers to. */
export function resolveSpec(
  spec: string,
  filesystems: FilesystemFact[],
  wwns: readonly (string | null)[] = [],
): FilesystemFact | undefined {
  const eq = /^(UUID|LABEL|PARTUUID)=(.+)$/.exec(spec);
  if (eq) {
    const value = eq[2].replace(/^"|"$/g, '');
    const key = eq[1] === 'UUID' ? 'uuid' : eq[1] === 'LABEL' ? 'label' : 'partuuid';
    return filesystems.find((f) => (key === 'uuid' ? f[key]?.toLowerCase() === value.toLowerCase() : f[key] === value));
  }
  const byId = /^\/dev\/disk\/by-(uuid|label|partuuid)\/(.+)$/.exec(spec);
  if (byId) return resolveSpec(`${byId[1].toUpperCase()}=${byId[2]}`, filesystems);
  const loc = locate(spec, wwns);
  if (!loc) return undefined;
  return filesystems.find((f) => f.disk_index === loc.diskIndex && f.partition === loc.partition);
}

/** The stable replacement for a radioactive spec, per policy fstab_mode. */
export function stableSpec(fs: FilesystemFact, mode: 'uuid' | 'partuuid' | 'label'): string | undefined {
  if (mode === 'uuid') return fs.uuid ? `UUID=${fs.uuid}` : undefined;
  if (mode === 'partuuid') return fs.partuuid ? `PARTUUID=${fs.partuuid}` : undefined;
  return fs.label ? `LABEL=${fs.label}` : undefined;
}

/** crypttab's lines as (target name, source device spec; '' where the line has none). */
export function crypttabEntries(text: string): { name: string; spec: string }[] {
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([name]) => name && !name.startsWith('#'))
    .map(([name, spec]) => ({ name, spec: spec ?? '' }));
}
