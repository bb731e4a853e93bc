// The kernel command line: root=/dev/sda1 (or a by-path or by-id name) becomes root=UUID=… in grub.cfg,
// resume= (the swap a hibernated system resumes from, which systemd waits for) likewise, and
// /etc/default/grub stops forcing device names so later regenerations keep UUIDs. grub.cfg is edited
// in place, exactly as the plan shows, rather than regenerated inside the appliance (where
// grub-mkconfig would see the appliance's devices, not the guest's).
import { isRadioactive, resolveSpec } from '../device-names.js';
import { fileText } from '../../../model/guest-facts.js';
import { fixInstallDevice } from './grub-installdevice.js';
import { type BootloaderModule, type FixContext, type FixResult, nothing, rewrite } from '../modules.js';

/** The command lines in `text` with root= and resume= by UUID, and which of the two it moved. */
function fixDeviceArgs(
  text: string,
  ctx: FixContext,
  path: string,
  result: FixResult,
): { text: string; moved: Set<string> } {
  const moved = new Set<string>();
  const fixed = text.replace(
    /(\b(root|resume)=)("?)([^\s"']+)/g,
    (whole, key: string, arg: string, quote: string, spec: string) => {
      if (!isRadioactive(spec)) return whole;
      const fs = resolveSpec(spec, ctx.guest.filesystems, ctx.guest.disk_wwns);
      if (!fs?.uuid) {
        result.findings.push(
          arg === 'root'
            ? {
                code: 'unresolved-root',
                severity: 'critical',
                message: `${path}: root=${spec} matches no filesystem with a UUID`,
              }
            : {
                code: 'unresolved-resume',
                severity: 'warning',
                message: `${path}: resume=${spec} matches no swap with a UUID: on KVM the boot waits for it first`,
              },
        );
        return whole;
      }
      moved.add(arg);
      return `${key}${quote}UUID=${fs.uuid}`;
    },
  );
  return { text: fixed, moved };
}

/** What an edit of command lines does, by the arguments it moved. */
function why(moved: Set<string>): string {
  const what = [moved.has('root') ? '/' : '', moved.has('resume') ? 'the resume swap' : ''].filter(Boolean);
  return `kernel command line finds ${what.join(' and ')} by UUID`;
}

const CONFIGS = ['/boot/grub/grub.cfg', '/boot/grub2/grub.cfg'];

export const grub2: BootloaderModule = {
  name: 'grub2',
  detect: async (probe) => CONFIGS.some((p) => probe.files[p]?.kind === 'file'),
  config: (files) => CONFIGS.find((p) => files[p]?.kind === 'file'),
  withSerialConsole: (text) =>
    text.replace(/^(\s*linux(?:16|efi)?\s+\S+.*?)\s*$/gm, '$1 console=tty0 console=ttyS0,115200n8'),
  plan(ctx: FixContext): FixResult {
    const result = nothing();
    // Beside grub.cfg, BLS entries (the RHEL family's kernels), /etc/kernel/cmdline (what
    // kernel-install writes into new entries), a full grub.cfg on the ESP (older UEFI installs) and
    // SUSE's /etc/sysconfig/bootloader (DEFAULT_APPEND, FAILSAFE_APPEND) carry command lines too.
    const others = Object.keys(ctx.guest.files)
      .filter(
        (p) =>
          (p.startsWith('/boot/loader/entries/') && p.endsWith('.conf')) ||
          p === '/etc/kernel/cmdline' ||
          p === '/etc/sysconfig/bootloader' ||
          /^\/boot\/efi\/EFI\/[^/]+\/grub\.cfg$/i.test(p),
      )
      .sort();
    for (const p of [ctx.guest.bootloader.config!, ...others]) {
      const text = fileText(ctx.guest.files, p);
      if (text === undefined) continue;
      const after = fixDeviceArgs(text, ctx, p, result);
      result.edits.push(...rewrite(p, text, after.text, why(after.moved)));
    }
    const dflt = fileText(ctx.guest.files, '/etc/default/grub');
    if (dflt !== undefined) {
      const after = fixDeviceArgs(dflt, ctx, '/etc/default/grub', result).text.replace(
        /^([ \t]*GRUB_DISABLE_LINUX_UUID[ \t]*=[ \t]*)"?true"?[ \t]*$/m,
        '$1false',
      );
      result.edits.push(...rewrite('/etc/default/grub', dflt, after, 'future update-grub runs write root=UUID= too'));
    }
    const install = fixInstallDevice(ctx);
    result.edits.push(...install.edits);
    result.findings.push(...install.findings);
    return result;
  },
};
