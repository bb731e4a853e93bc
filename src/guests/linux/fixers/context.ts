// What every fixer receives and returns. Fixers are pure: facts + policy in, edits + findings out.
import type { PolicySettings } from '../../../schema/config-schema.js';
import type { GuestFacts } from '../../../model/guest-facts.js';
import type { Finding, GuestEdit } from '../../../model/plan.js';

export interface FixContext {
  guest: GuestFacts;
  policy: PolicySettings;
}

export interface FixResult {
  edits: GuestEdit[];
  findings: Omit<Finding, 'acknowledged'>[];
}

export const nothing = (): FixResult => ({ edits: [], findings: [] });

/** A write edit, or nothing when the content does not change (idempotence). */
export function rewrite(path: string, before: string, after: string, reason: string): GuestEdit[] {
  return before === after ? [] : [{ kind: 'write', path, before, after, reason }];
}
