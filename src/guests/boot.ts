// Readying a boot test's throwaway overlays: one read-write appliance on the overlays (never on
// the output), the guest's filesystems mounted as FIX mounts them, and the family's preparation.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PlannedGuest } from '../model/plan.js';
import { GuestfishSession } from '../tools/guestfish.js';
import { familyForGuest } from './registry.js';

export async function prepareBootOverlays(overlays: string[], guest: PlannedGuest): Promise<void> {
  const family = familyForGuest(guest);
  const g = await GuestfishSession.launch(
    overlays.map((path) => ({ path, format: 'qcow2' })),
    { readonly: false },
  );
  const tmp = mkdtempSync(join(tmpdir(), 'h2k-boot-'));
  let n = 0;
  try {
    for (const m of family.fixMounts(guest)) await g.run('mount', m.device, m.mountpoint);
    await family.prepareBoot(g, guest, async (path, text) => {
      const local = join(tmp, `f${n++}`);
      writeFileSync(local, text);
      await g.run('upload', local, path);
    });
    await g.run('sync');
    await g.run('umount-all');
  } finally {
    await g.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}
