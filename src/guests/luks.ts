// A guest's LUKS volumes, opened with their luks_keys passphrases: read-only by inspection (which
// also picks their names), read-write by FIX and the boot test's preparation under the names
// inspection recorded; the boot test types the passphrases at the guest's prompt. The passphrases
// come from the configuration each time, never from a plan.
import type { LuksVolume } from '../model/guest-facts.js';
import { GuestfishError, type GuestReader, type Secret } from '../tools/guestfish.js';
import { UserError } from '../util/errors.js';

export interface Unlock extends LuksVolume {
  key: Secret;
}

/** Each opened volume with its passphrase from luks_keys. */
export function unlocksFor(guest: { luks?: LuksVolume[] }, keys: Record<string, Secret> | undefined): Unlock[] {
  return (guest.luks ?? []).map((v) => {
    const key = keys?.[v.device];
    if (!key)
      throw new UserError(
        `${v.device} is encrypted and luks_keys has no passphrase for it`,
        'set the variable that luks_keys reads for it (H2K_VAR_<name> or a -var-file), as when the plan was made',
      );
    return { ...v, key };
  });
}

/** Opens them (LVM inside activated), before anything is mounted. */
export async function openVolumes(g: GuestReader, unlocks: Unlock[], readonly: boolean): Promise<void> {
  for (const u of unlocks) await openVolume(g, u, readonly);
  if (unlocks.length) await g.try('vg-activate-all', 'true');
}

/** One volume; a passphrase that does not open it is said as the user's error. */
export async function openVolume(g: GuestReader, u: Unlock, readonly: boolean): Promise<void> {
  try {
    await g.openLuks(u.device, u.name, u.key, readonly);
  } catch (err) {
    if (!(err instanceof GuestfishError)) throw err;
    throw new UserError(
      `the passphrase luks_keys gives for ${u.device} does not open it (${err.stderr.trim().split('\n').pop()})`,
      'check the value of the variable set for it (H2K_VAR_<name> or the -var-file)',
    );
  }
}
