// Reading a plan file: JSON of a format this h2k understands (same major version).
import { readFileSync } from 'node:fs';
import { PLAN_FORMAT_VERSION } from '../model/plan-helpers.js';
import type { Plan } from '../model/plan.js';
import { UserError } from '../util/errors.js';

export function readPlanFile(path: string): Plan & { config_dir?: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UserError(`cannot read the plan file ${path}`, 'create one with h2k plan -out FILE');
  }
  let plan: Plan & { config_dir?: string };
  try {
    plan = JSON.parse(text);
  } catch {
    throw new UserError(`${path} is not a plan file (not JSON)`, 'create one with h2k plan -out FILE');
  }
  const major = String(plan.format_version ?? '').split('.')[0];
  if (major !== PLAN_FORMAT_VERSION.split('.')[0])
    throw new UserError(
      `${path} has plan format ${plan.format_version ?? '(none)'}; this h2k reads format ${PLAN_FORMAT_VERSION}`,
      'plan again with this version of h2k',
    );
  return plan;
}
