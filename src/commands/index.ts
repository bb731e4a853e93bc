// Every command, by id (oclif "explicit" strategy: no manifest, no directory scan at startup).
import Apply from './apply.js';
import AuditLog from './audit/log.js';
import AuditVerify from './audit/verify.js';
import Doctor from './doctor.js';
import Fmt from './fmt.js';
import ForceUnlock from './force-unlock.js';
import Graph from './graph.js';
import Plan from './plan.js';
import Report from './report.js';
import Schema from './schema.js';
import Show from './show.js';
import StateList from './state/list.js';
import StateMigrate from './state/migrate.js';
import StateRm from './state/rm.js';
import StateShow from './state/show.js';
import Validate from './validate.js';
import Worker from './worker.js';

export const COMMANDS = {
  apply: Apply,
  'audit:log': AuditLog,
  'audit:verify': AuditVerify,
  doctor: Doctor,
  fmt: Fmt,
  'force-unlock': ForceUnlock,
  graph: Graph,
  plan: Plan,
  report: Report,
  schema: Schema,
  show: Show,
  'state:list': StateList,
  'state:migrate': StateMigrate,
  'state:rm': StateRm,
  'state:show': StateShow,
  validate: Validate,
  worker: Worker,
};
