// A guest's LUKS volumes after inspection: FIX and the boot test's preparation open them again,
// read-write, under the names inspection recorded; the boot test types their passphrases at the
// guest's prompt. The passphrases come from the configuration (luks_keys) each time, never from a plan.
import type { LuksVolume } from '../model/guest-facts.js';
import type { GuestfishSession, Secret } from '../tools/guestfish.js';
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

/** Opens them read-write (LVM inside activated), before anything is mounted. */
export async function openVolumes(g: GuestfishSession, unlocks: Unlock[]): Promise<void> {
  for (const u of unlocks) await g.openLuks(u.device, u.name, u.key, false);
  if (unlocks.length) await g.try('vg-activate-all', 'true');
}
