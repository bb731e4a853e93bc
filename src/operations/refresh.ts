// Refresh: compare what state says was produced with what is on disk. An output that is gone or
// no longer matches its recorded size and sha256 is drift: its stage, and every stage after it,
// count as not done, so the plan redoes them. VMs in state but not in the configuration are
// reported, never deleted. -refresh-only plans only this, and its apply makes the state match.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Drift, STAGES, type Stage, type StageRecord } from '../model/plan.js';
import type { VmState } from '../model/state.js';
import type { Config } from '../schema/config.js';
import type { StateStore } from '../state/store.js';
import { fileSha256 } from '../util/files.js';

export async function refreshVm(
  configDir: string,
  address: string,
  vm: VmState | undefined,
): Promise<{ recorded: Partial<Record<Stage, StageRecord>>; drift: Drift[] }> {
  const recorded: Partial<Record<Stage, StageRecord>> = {};
  const drift: Drift[] = [];
  if (!vm) return { recorded, drift };
  let broken = false;
  for (const stage of STAGES) {
    const rec = vm.stages[stage];
    if (!rec) continue;
    for (const out of rec.outputs) {
      const path = resolve(configDir, out.path);
      if (!existsSync(path))
        drift.push({ vm: address, stage, path: out.path, problem: 'deleted since it was produced' });
      else if (statSync(path).size !== out.size || (await fileSha256(path)) !== out.sha256)
        drift.push({
          vm: address,
          stage,
          path: out.path,
          problem: 'modified since it was produced (size or sha256 differ)',
        });
      else continue;
      broken = true;
    }
    if (!broken) recorded[stage] = { status: rec.status === 'done' ? 'done' : 'failed', input_hash: rec.input_hash };
  }
  return { recorded, drift };
}

export function orphans(stateVms: string[], configVms: string[]): Drift[] {
  return stateVms
    .filter((a) => !configVms.includes(a))
    .sort()
    .map((vm) => ({
      vm,
      problem:
        'in the state but no longer in the configuration; proposed: forget it with h2k state rm (its files are ' +
        'left alone)',
    }));
}

/** -refresh-only: drift without inspecting any guest or reading any source. */
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
