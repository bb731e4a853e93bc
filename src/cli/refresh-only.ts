// -refresh-only: compare state with what is on disk, without inspecting any guest. plan shows the
// drift; apply makes the state match reality (forgets drifted stages and VMs gone from the config).
import { STAGES } from '../planner/types.js';
import { type Drift, orphans, refreshVm } from '../providers/refresh.js';
import type { Config } from '../schema/config.js';
import type { StateStore } from '../state/state-file.js';

export async function refreshOnly(config: Config, state: StateStore): Promise<Drift[]> {
  const drift = orphans(Object.keys(state.data.vms), config.vms.map((v) => v.address));
  for (const vm of config.vms) drift.push(...(await refreshVm(config.dir, vm.address, state.data.vms[vm.address])).drift);
  return drift;
}

export function renderDrift(drift: Drift[]): string {
  if (drift.length === 0) return 'No drift: the state matches what is on disk.\n';
  const lines = drift.map((d) => `  ! ${d.vm}${d.stage ? ` ${d.stage}` : ''}${d.path ? ` ${d.path}` : ''}: ${d.problem}`);
  return `Drift since the last apply:\n${lines.join('\n')}\n`;
}

/** Makes the state match reality: a drifted stage and every later one are forgotten, as are VMs
 *  no longer in the configuration. Files on disk are never touched. */
export async function acceptDrift(config: Config, state: StateStore, drift: Drift[]): Promise<number> {
  let changes = 0;
  await state.update((d) => {
    for (const item of drift) {
      const vm = d.vms[item.vm];
      if (!vm) continue;
      if (!item.stage) {
        delete d.vms[item.vm];
        changes++;
        continue;
      }
      for (const s of STAGES.slice(STAGES.indexOf(item.stage))) {
        if (vm.stages[s]) {
          delete vm.stages[s];
          changes++;
        }
      }
    }
  });
  if (changes) await state.audit(config.dir, { event: 'state-refresh', details: { drift: drift.map((x) => `${x.vm}${x.stage ? ` ${x.stage}` : ''}: ${x.problem}`) } });
  return changes;
}
