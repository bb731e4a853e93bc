// Every command, by id (oclif "explicit" strategy: no manifest, no directory scan at startup).
import Doctor from './doctor.js';
import Fmt from './fmt.js';
import Plan from './plan.js';
import Schema from './schema.js';
import Validate from './validate.js';

export const COMMANDS = {
  doctor: Doctor,
  fmt: Fmt,
  plan: Plan,
  schema: Schema,
  validate: Validate,
};
