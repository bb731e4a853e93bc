// Every command, by id (oclif "explicit" strategy: no manifest, no directory scan at startup).
import Apply from './apply.js';
import Doctor from './doctor.js';
import Fmt from './fmt.js';
import ForceUnlock from './force-unlock.js';
import Plan from './plan.js';
import Schema from './schema.js';
import Validate from './validate.js';

export const COMMANDS = {
  apply: Apply,
  doctor: Doctor,
  fmt: Fmt,
  'force-unlock': ForceUnlock,
  plan: Plan,
  schema: Schema,
  validate: Validate,
};
