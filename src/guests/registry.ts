// The guest families h2k knows, by the `family` their facts carry. A new family is a folder under
// src/guests/ and one entry here (and its facts in src/model/guest-facts.ts).
import type { GuestFacts, GuestMount } from '../model/guest-facts.js';
import type { GuestEdit, PlannedGuest } from '../model/plan.js';
import type { ServiceChecks } from '../model/service-check.js';
import type { PolicySettings } from '../schema/config-schema.js';
import type { GuestfishSession } from '../tools/guestfish.js';
import { hashOf } from '../util/hash.js';
import type { BootEvidence, DomainHints, GuestFamily } from './family.js';
import { linux } from './linux/index.js';
import { unknown } from './unknown.js';
import { windows } from './windows/index.js';

type Families = { [K in GuestFacts['family']]: GuestFamily<Extract<GuestFacts, { family: K }>> };

const FAMILIES: Families = { linux, windows, unknown };

/** The family module that handles an OS type; `unknown` when none does. */
export function familyForOs(osType: string): GuestFamily {
  return (Object.values(FAMILIES) as GuestFamily[]).find((f) => f.family !== 'unknown' && f.handles(osType)) ?? unknown;
}

/** A stamp of the host files any family's inspection would read under this policy (virtio-win):
 *  the facts an inspection found are reused only while it is the same. */
export function inspectionHostInputs(policy: PolicySettings, configDir: string): string {
  return hashOf(
    (Object.values(FAMILIES) as GuestFamily[]).flatMap((f) =>
      f.hostInputs ? [[f.family, f.hostInputs(policy, configDir)]] : [],
    ),
  );
}

/** The module for a guest's facts, typed for them. */
export function familyOf<F extends GuestFacts>(guest: F): GuestFamily<F> {
  return FAMILIES[guest.family] as unknown as GuestFamily<F>;
}

/** The family module of a planned guest (the plan records facts without file contents), with the
 *  calls that take a planned guest. */
export function familyForGuest(guest: PlannedGuest): {
  boot: BootEvidence;
  domain?: DomainHints;
  fixMounts(g: PlannedGuest): GuestMount[];
  fixWriteBytes(g: PlannedGuest): number;
  prepareBoot(g: GuestfishSession, guest: PlannedGuest, checks?: ServiceChecks): Promise<void>;
  openHostFiles?(policy: PolicySettings, configDir: string): Promise<{ root: string; close(): void }>;
  applyEdit?(g: GuestfishSession, edit: GuestEdit): Promise<void>;
  verifyEdit?(g: GuestfishSession, edit: GuestEdit): Promise<boolean>;
} {
  const family = FAMILIES[guest.family] as unknown as GuestFamily;
  const planned = (g: PlannedGuest) => g as unknown as GuestFacts;
  return {
    boot: family.boot,
    ...(family.domain ? { domain: family.domain } : {}),
    fixMounts: (g) => family.fixMounts(planned(g)),
    fixWriteBytes: (g) => family.fixWriteBytes(planned(g)),
    prepareBoot: (s, g, checks) => family.prepareBoot(s, planned(g), checks),
    ...(family.openHostFiles ? { openHostFiles: family.openHostFiles } : {}),
    ...(family.applyEdit ? { applyEdit: family.applyEdit } : {}),
    ...(family.verifyEdit ? { verifyEdit: family.verifyEdit } : {}),
  };
}
