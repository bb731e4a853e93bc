// UEFI guests boot on KVM with a fresh NVRAM: the VMware VM's boot entry (\EFI\<distro>\shimx64.efi
// or grubx64.efi) stays behind in VMware's NVRAM, and firmware with no entry boots only the
// removable-media path \EFI\BOOT\BOOTX64.EFI. When the ESP has none, the distro's own loader is
// copied there: shim (with the grub it loads, from the same directory) where the guest boots
// through shim, else grub. Distro grub images find their configuration by their built-in prefix
// (the /boot filesystem, or \EFI\<distro>\ for signed monolithic images), wherever they start from.
import { type FixContext, type FixResult, nothing } from '../modules.js';

const EFI = '/boot/efi/EFI/';
const FALLBACK = `${EFI}BOOT/BOOTX64.EFI`;

export function planFallbackLoader(ctx: FixContext): FixResult {
  const result = nothing();
  const files = ctx.guest.efi_files;
  if (ctx.guest.firmware !== 'uefi' || !files) return result;
  const find = (p: string) => Object.keys(files).find((f) => f.toLowerCase() === p.toLowerCase());
  if (find(FALLBACK)) return result;
  const dirs = [...new Set(Object.keys(files).map((f) => f.slice(EFI.length).split('/')[0]))]
    .filter((d) => d.toLowerCase() !== 'boot')
    .sort();
  const pick = (name: string) => dirs.map((d) => find(`${EFI}${d}/${name}`)).find(Boolean);
  const shim = pick('shimx64.efi');
  const grub = shim ? find(`${shim.slice(0, shim.lastIndexOf('/'))}/grubx64.efi`) : pick('grubx64.efi');
  if (!grub) {
    result.findings.push({
      code: 'uefi-no-loader',
      severity: 'critical',
      message:
        `no shimx64.efi or grubx64.efi under ${EFI} (${dirs.join(', ') || 'empty'}): ` +
        'a fresh NVRAM finds nothing to boot',
    });
    return result;
  }
  const copy = (from: string, path: string, reason: string) =>
    result.edits.push({ kind: 'copy', from, path, sha256: files[from], reason });
  const why = 'a fresh KVM NVRAM has no boot entry; firmware boots the removable path';
  if (shim) {
    copy(shim, FALLBACK, `${why} (through shim, as the guest does)`);
    copy(grub, `${EFI}BOOT/grubx64.efi`, 'shim starts the grubx64.efi next to it');
  } else copy(grub, FALLBACK, why);
  result.findings.push({
    code: 'uefi-fallback-loader',
    severity: 'info',
    message: `${FALLBACK} is added (a copy of ${shim ?? grub}): the VMware NVRAM's boot entry does not come along`,
  });
  return result;
}
