// The guest families h2k knows, by the `family` their facts carry. A new family is a folder under
// src/guests/ and one entry here (and its facts in src/model/guest-facts.ts).
import type { GuestFacts } from '../model/guest-facts.js';
import type { PlannedGuest } from '../model/plan.js';
import type { BootEvidence, GuestFamily } from './family.js';
import { linux } from './linux/index.js';
import { unknown } from './unknown.js';
import { windows } from './windows/index.js';

type Families = { [K in GuestFacts['family']]: GuestFamily<Extract<GuestFacts, { family: K }>> };

const FAMILIES: Families = { linux, windows, unknown };

/** The family module that handles an OS type; `unknown` when none does. */
export function familyForOs(osType: string): GuestFamily {
  return (Object.values(FAMILIES) as GuestFamily[]).find((f) => f.family !== 'unknown' && f.handles(osType)) ?? unknown;
}

/** The module for a guest's facts, typed for them. */
export function familyOf<F extends GuestFacts>(guest: F): GuestFamily<F> {
  return FAMILIES[guest.family] as unknown as GuestFamily<F>;
}

/** What FIX mounts for a planned guest (the plan records facts without file contents). */
export function fixMounts(guest: PlannedGuest): { mountpoint: string; device: string }[] {
  return (FAMILIES[guest.family] as GuestFamily).fixMounts(guest as Omit<GuestFacts, 'files'>);
}

export function bootEvidence(guest: { family: GuestFacts['family'] }): BootEvidence {
  return FAMILIES[guest.family].boot;
}
