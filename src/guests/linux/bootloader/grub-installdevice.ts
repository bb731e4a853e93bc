// /etc/default/grub_installdevice: where SUSE's perl-bootloader runs grub2-install, one device per
// line beside the flags `activate` and `generic_mbr`. YaST writes the boot disk by its by-id name
// (scsi-36000c29… on VMware), which virtio disks do not have: the guest boots, but the next grub2
// update's grub2-install fails on a missing device and leaves the old core image behind. A whole
// disk becomes its virtio name (KVM has no hardware ID for it without a serial, and h2k's outputs
// attach disks as virtio in the source's order); a partition becomes its by-partuuid or by-uuid
// name, which the partition carries with it.
import { isRadioactive, locate, resolveSpec } from '../device-names.js';
import { diskLetters } from '../../../util/disk-letters.js';
import { fileText } from '../../../model/guest-facts.js';
import { type FixContext, type FixResult, nothing, rewrite } from '../modules.js';

export const INSTALL_DEVICE = '/etc/default/grub_installdevice';

function stableDevice(spec: string, ctx: FixContext): string | undefined {
  const where = locate(spec, ctx.guest.disk_wwns);
  if (where?.partition === 0) return `/dev/vd${diskLetters(where.diskIndex)}`;
  const fs = resolveSpec(spec, ctx.guest.filesystems, ctx.guest.disk_wwns);
  if (fs?.partuuid) return `/dev/disk/by-partuuid/${fs.partuuid}`;
  if (fs?.uuid) return `/dev/disk/by-uuid/${fs.uuid}`;
  return undefined;
}

export function fixInstallDevice(ctx: FixContext): FixResult {
  const result = nothing();
  const text = fileText(ctx.guest.files, INSTALL_DEVICE);
  if (text === undefined) return result;
  const after = text
    .split('\n')
    .map((line) => {
      const spec = line.trim();
      if (!spec.startsWith('/dev/') || !isRadioactive(spec)) return line;
      const stable = stableDevice(spec, ctx);
      if (stable) return line.replace(spec, stable);
      result.findings.push({
        code: 'unresolved-install-device',
        severity: 'warning',
        message:
          `${INSTALL_DEVICE}: ${spec} matches no disk or partition of this VM: the next grub2 update's ` +
          'grub2-install would fail on it; name the boot disk there after the move',
      });
      return line;
    })
    .join('\n');
  result.edits.push(...rewrite(INSTALL_DEVICE, text, after, 'grub2-install finds the boot disk by its KVM name'));
  return result;
}
