// FIX: the planned edits made inside the guest, on the overlays, in one libguestfs session.
import { runFix } from '../executors/fix.js';
import { unlocksFor } from '../guests/luks.js';
import { familyForGuest } from '../guests/registry.js';
import type { PlannedGuest } from '../model/plan.js';
import { UserError } from '../util/errors.js';
import type { StageModule } from './stage.js';

export const fix: StageModule = {
  stage: 'fix',
  plan: (c) => ({
    inputs: c.edits,
    reason: `${c.edits.length} change(s) inside the guest, in one libguestfs session`,
    edits: c.edits,
  }),
  // The overlays grow by what FIX writes into them.
  writes: {
    place: 'work',
    bytes: (_, guest) => (guest ? familyForGuest(guest as PlannedGuest).fixWriteBytes(guest as PlannedGuest) : 0),
  },
  hostLocal: true,
  async run({ vm, action, source, ws, cfgVm, config, step }) {
    const guest = vm.facts.guest;
    if (!guest) throw new UserError('the plan has no guest facts', 'plan again without -inspect=false');
    const edits = action.edits ?? [];
    const family = familyForGuest(guest);
    const sources = await source.driver.diskEntries(source.config, vm, ws.fetchDir);
    const host = edits.some((e) => e.kind === 'upload')
      ? await family.openHostFiles?.(cfgVm.policy, config.dir)
      : undefined;
    let r;
    try {
      r = await runFix({
        overlays: ws.overlays,
        sources,
        mounts: family.fixMounts(guest),
        edits,
        onStep: step,
        family,
        hostRoot: host?.root,
        unlocks: unlocksFor(guest, cfgVm.luks_keys),
      });
    } finally {
      host?.close();
    }
    const note = `${edits.length} change(s), ${r.launches} libguestfs launch${r.launches === 1 ? '' : 'es'}`;
    return { outputs: [], note, details: { libguestfs_launches: r.launches } };
  },
};
