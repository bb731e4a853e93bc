// fstab and crypttab: device names that change on KVM (by-path, sdX) become UUID=/PARTUUID=/LABEL=
// read from the real filesystems.
import { crypttabEntries, isRadioactive, resolveSpec, stableSpec } from '../device-names.js';
import { fileText } from '../../../model/guest-facts.js';
import { type FixContext, type FixResult, nothing, rewrite } from '../modules.js';

function rewriteTable(ctx: FixContext, path: string, field: number, result: FixResult): void {
  const text = fileText(ctx.guest.files, path);
  if (text === undefined || ctx.policy.fstab_mode === 'keep') return;
  const mode = ctx.policy.fstab_mode;
  const out = text.split('\n').map((line) => {
    if (/^\s*(#|$)/.test(line)) return line;
    const fields = line.trim().split(/\s+/);
    const spec = fields[field];
    if (!spec || !isRadioactive(spec)) return line;
    const fs = resolveSpec(spec, ctx.guest.filesystems, ctx.guest.disk_wwns);
    const stable = fs && stableSpec(fs, mode);
    if (!stable) {
      // Named by what the line is for: one device can be mounted many times (btrfs subvolumes).
      const what = fields[field === 0 ? 1 : 0];
      result.findings.push({
        code: 'unresolved-device',
        severity: 'critical',
        message:
          `${path}: ${spec} (${what}) matches no filesystem with a ${mode.toUpperCase()}; the guest would not ` +
          `find it on KVM`,
      });
      return line;
    }
    // Replace only that field, keeping the line's own spacing.
    let seen = -1;
    return line.replace(/\S+/g, (tok) => (++seen === field ? stable : tok));
  });
  result.edits.push(
    ...rewrite(
      path,
      text,
      out.join('\n'),
      `${path.endsWith('crypttab') ? 'encrypted devices' : 'mounts'} by stable ${mode.toUpperCase()} instead ` +
        `of VMware device names`,
    ),
  );
}

export function fixFstab(ctx: FixContext): FixResult {
  const result = nothing();
  rewriteTable(ctx, '/etc/fstab', 0, result);
  rewriteTable(ctx, '/etc/crypttab', 1, result);
  // The boot test types the passphrases inspection opened volumes with; any other volume stays closed.
  const opened = new Set((ctx.guest.luks ?? []).map((v) => v.name));
  const closed = crypttabEntries(fileText(ctx.guest.files, '/etc/crypttab') ?? '')
    .map((e) => e.name)
    .filter((n) => !opened.has(n));
  if (closed.length)
    result.findings.push({
      code: 'encrypted-volumes',
      severity: 'warning',
      message:
        `/etc/crypttab lists encrypted volumes without a passphrase in luks_keys (${closed.join(', ')}): the boot ` +
        'test cannot unlock them',
    });
  return result;
}
