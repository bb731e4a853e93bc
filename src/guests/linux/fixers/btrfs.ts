// A btrfs root is converted as the guest mounts it: / the default subvolume (snapper's current
// snapshot on SUSE) or fstab's subvol=, the other subvolumes by fstab (inspect.ts's subvolumeMounts);
// snapper's snapshots are history, never mounted, never edited. The filesystem's checksums are
// checked read-only twice: at inspection (damage found there stops the plan; remote disks are not
// read whole at plan time) and as FIX's last command (damage FIX did, or the source had, fails it
// before CONVERT copies anything).
import { SCRUB_COMMAND } from '../btrfs-scrub.js';
import { type FixContext, type FixResult, nothing } from '../modules.js';

export function planBtrfs(ctx: FixContext): FixResult {
  const { guest } = ctx;
  const result = nothing();
  if (guest.root_fs !== 'btrfs') return result;
  const scrub = guest.btrfs_scrub;
  if (scrub?.result === 'damaged')
    result.findings.push({
      code: 'btrfs-scrub-errors',
      severity: 'critical',
      message:
        `the read-only scrub of / (${guest.root}) found damage: ${scrub.summary}; ` +
        'repair the source (btrfs scrub, restore from backup) before converting it',
    });
  if (scrub?.result === 'not run')
    result.findings.push({
      code: 'btrfs-not-scrubbed',
      severity: 'warning',
      message: `/ (${guest.root}) could not be scrubbed before FIX: ${scrub.summary}; its checksums are unchecked`,
    });
  if (scrub?.result === 'deferred')
    result.findings.push({
      code: 'btrfs-scrub-deferred',
      severity: 'info',
      message: `/ (${guest.root}) is scrubbed by FIX, on the fetched copy, not at plan time: ${scrub.summary}`,
    });
  // What could not run at inspection would fail FIX the same way.
  if (scrub?.result !== 'not run')
    result.edits.push({
      kind: 'run',
      command: SCRUB_COMMAND,
      reason: "check every block of the btrfs root against its checksum after FIX's changes (read-only)",
    });
  return result;
}
