// A read-only btrfs scrub: every data and metadata block of the filesystem read and checked against
// its checksum, so h2k neither converts a filesystem that is already damaged nor hands one over that
// FIX damaged. The guest's own btrfs-progs run it (libguestfs's btrfs-scrub-start repairs, that is
// writes, and runs in the background); `-r` keeps it read-only, which a read-only mount requires.
import type { BtrfsScrub } from '../../model/guest-facts.js';
import type { GuestReader } from '../../tools/guestfish.js';

/** The command, as inspection and FIX's last step run it in the guest's root. */
export const SCRUB_COMMAND = ['btrfs', 'scrub', 'start', '-B', '-r', '/'];

export async function scrubBtrfs(g: GuestReader): Promise<BtrfsScrub> {
  // Exit status 3 means errors were found; its report is the answer, so the status goes in the output.
  const out = await g.try('sh', `${SCRUB_COMMAND.join(' ')} 2>&1; echo "exit status $?"`);
  return out === undefined
    ? { result: 'not run', summary: 'the guest has no /bin/sh to run btrfs in' }
    : parseScrub(out);
}

/** PURE: what `btrfs scrub start -B` printed (btrfs-progs 5.x–6.x; 4.x's one-line total), and its
 *  exit status. */
export function parseScrub(out: string): BtrfsScrub {
  const field = (name: string) => new RegExp(`^\\s*${name}:\\s*(.+?)\\s*$`, 'm').exec(out)?.[1];
  const status = Number(/exit status (\d+)/.exec(out)?.[1] ?? NaN);
  const old = /total bytes scrubbed: (\S+) with (\d+) errors/.exec(out);
  const errors =
    field('Error summary') ?? (old ? (old[2] === '0' ? 'no errors found' : `${old[2]} errors`) : undefined);
  const total = field('Total to scrub') ?? old?.[1];
  const uncorrectable = field('Uncorrectable');
  if (!errors) {
    const said = out.split('\n').find((l) => l.trim() && !/^exit status/.test(l));
    return { result: 'not run', summary: said ?? `exit status ${status}` };
  }
  const found = `${errors}${uncorrectable ? `, ${uncorrectable} uncorrectable` : ''}`;
  const result = status === 0 && errors === 'no errors found' ? 'clean' : 'damaged';
  return { result, summary: total ? `${found}; ${total} read` : found };
}
