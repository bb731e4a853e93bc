// Refresh: compare what state says was produced with what is on disk. An output that is gone or
// no longer matches its recorded size and sha256 is drift: its stage, and every stage after it,
// count as not done, so the plan redoes them. VMs in state but not in the configuration are
// reported, never deleted.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileSha256 } from '../executors/workspace.js';
import { STAGES, type Stage } from '../model/plan.js';
import type { StageRecord } from '../planner/plan-vm.js';
import type { VmState } from '../state/local/state-file.js';
import type { Drift } from '../model/drift.js';

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
        'in the state but no longer in the configuration; proposed: forget it with h2k state rm (its files are left alone)',
    }));
}
