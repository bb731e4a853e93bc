// The pipeline, in order: FETCH → FLATTEN → INSPECT → PLAN → FIX → CONVERT → VALIDATE. Stages may be
// skipped (a stage's plan says so), never reordered. Adding a stage: its module here and its name in
// STAGES (src/model/plan.ts); the record below refuses a name without a module.
import { STAGES, type Stage } from '../model/plan.js';
import { convert } from './convert.js';
import { fetch } from './fetch.js';
import { fix } from './fix.js';
import { flatten } from './flatten.js';
import { inspect } from './inspect.js';
import { plan } from './plan.js';
import type { StageModule } from './stage.js';
import { validate } from './validate.js';

export const STAGE_MODULES: Record<Stage, StageModule> = { fetch, flatten, inspect, plan, fix, convert, validate };

export const PIPELINE: readonly StageModule[] = STAGES.map((s) => STAGE_MODULES[s]);
