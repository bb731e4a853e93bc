// -refresh-only: compare state with what is on disk, without inspecting any guest. plan shows the
// drift; apply makes the state match reality (forgets drifted stages and VMs gone from the config).
import { STAGES, type Stage } from '../model/plan.js';
import { type Drift, describeDrift } from '../model/drift.js';
import { orphans, refreshVm } from './refresh.js';
import type { Config } from '../schema/config.js';
import type { StateStore } from '../state/local/state-file.js';

export async function refreshOnly(config: Config, state: StateStore): Promise<Drift[]> {
  // Without reading the inventory, a discovering vm's instances in state count as configured.
  const discovered = Object.keys(state.data.vms).filter((a) =>
    config.vms.some((v) => v.discover && a.startsWith(`${v.address}[`)),
  );
  const configured = [...config.vms.filter((v) => !v.discover).map((v) => v.address), ...discovered];
  const drift = orphans(Object.keys(state.data.vms), configured);
  for (const address of configured)
    drift.push(...(await refreshVm(config.dir, address, state.data.vms[address])).drift);
  return drift;
}

export function renderDrift(drift: Drift[]): string {
  if (drift.length === 0) return 'No drift: the state matches what is on disk.\n';
  const lines = drift.map((d) => `  ! ${describeDrift(d)}`);
  return `Drift since the last apply:\n${lines.join('\n')}\n`;
}

/** Makes the state match reality: a drifted stage and every later one are forgotten, as are VMs
 *  no longer in the configuration. Files on disk are never touched. */
export async function acceptDrift(state: StateStore, drift: Drift[]): Promise<number> {
  // Decide what to forget first, so the change and its audit record go in one state write.
  const forget = new Map<string, { vm: string; stage?: Stage }>();
  for (const item of drift) {
    const vm = state.data.vms[item.vm];
    if (!vm) continue;
    if (!item.stage) forget.set(item.vm, { vm: item.vm });
    else
      for (const s of STAGES.slice(STAGES.indexOf(item.stage)))
        if (vm.stages[s]) forget.set(`${item.vm} ${s}`, { vm: item.vm, stage: s });
  }
  if (forget.size === 0) return 0;
  await state.update(
    (d) => {
      for (const f of forget.values()) {
        if (f.stage) delete d.vms[f.vm]?.stages[f.stage];
        else delete d.vms[f.vm];
      }
    },
    {
      event: 'state-refresh',
      details: { drift: drift.map((x) => `${x.vm}${x.stage ? ` ${x.stage}` : ''}: ${x.problem}`) },
    },
  );
  return forget.size;
}
