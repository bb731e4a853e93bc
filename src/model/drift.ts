// Drift: what changed on disk since the last apply. PURE: the type and its one-line description;
// finding it is the refresh provider's job.
import type { Stage } from './plan.js';

export interface Drift {
  vm: string;
  stage?: Stage;
  path?: string;
  problem: string;
}

/** One drift item as a line: "vm.a convert out/a.qcow2: deleted since it was produced". */
export function describeDrift(d: Drift): string {
  return `${d.vm}${d.stage ? ` ${d.stage}` : ''}${d.path ? ` ${d.path}` : ''}: ${d.problem}`;
}
