// The plan file: canonical plan JSON plus where its configuration is, relative to the file.
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { PLAN_FORMAT_VERSION, type Plan } from '../model/plan.js';
import { planJson } from '../planner/plan.js';
import { UserError } from '../util/errors.js';
import { writeFileAtomic } from '../util/files.js';

/** Plan formats this h2k applies: format 1.0 (before snake_case facts and plural disks) is not. */
const READABLE = [PLAN_FORMAT_VERSION];

export function writePlanFile(path: string, plan: Plan, configDir: string): void {
  const file = resolve(path);
  writeFileAtomic(file, planJson({ ...plan, config_dir: relative(dirname(file), configDir) || '.' } as Plan));
}

/** The plan and the absolute configuration directory it was made for. */
export function readPlanFile(path: string): { plan: Plan; configDir: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UserError(`cannot read the plan file ${path}`, 'create one with h2k plan -out FILE');
  }
  let parsed: Plan & { config_dir?: string };
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UserError(`${path} is not a plan file (not JSON)`, 'create one with h2k plan -out FILE');
  }
  if (!READABLE.includes(parsed.format_version))
    throw new UserError(
      `${path} has plan format ${parsed.format_version ?? '(none)'}; this h2k reads format ${READABLE.join(', ')}`,
      'plan again with this version of h2k',
    );
  const { config_dir, ...plan } = parsed;
  return { plan, configDir: resolve(dirname(path), config_dir ?? '.') };
}
