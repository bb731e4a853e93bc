// Readying a boot test's throwaway overlays: one read-write appliance on the overlays (never on
// the output), the guest's filesystems mounted as FIX mounts them, and the family's preparation.
import type { PlannedGuest } from '../model/plan.js';
import type { ServiceChecks } from '../model/service-check.js';
import { GuestfishSession } from '../tools/guestfish.js';
import { type Unlock, openVolumes } from './luks.js';
import { familyForGuest } from './registry.js';

export async function prepareBootOverlays(
  overlays: string[],
  guest: PlannedGuest,
  checks?: ServiceChecks,
  unlocks: Unlock[] = [],
): Promise<void> {
  const family = familyForGuest(guest);
  const disks = overlays.map((path) => ({ path, format: 'qcow2' }));
  const g = await GuestfishSession.launch(disks, { readonly: false });
  try {
    await openVolumes(g, unlocks, false);
    for (const m of family.fixMounts(guest)) await g.mountAt(m);
    await family.prepareBoot(g, guest, checks);
    await g.run('sync');
    await g.run('umount-all');
  } finally {
    await g.close();
  }
}
