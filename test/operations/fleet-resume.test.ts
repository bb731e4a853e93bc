// Where a worker resumes a VM: at the first planned stage not recorded done with its input hash, and
// a stage before CONVERT counts only when this host ran it (its fetched files and overlays are in
// that host's .h2k/ workspace). Pure: no Postgres here (test/e2e/fleet.test.ts has the real fleet).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Stage, VmPlan } from '../../src/model/plan.js';
import type { VmState } from '../../src/model/state.js';
import { remainingActions } from '../../src/operations/fleet.js';

const STAGES: Stage[] = ['flatten', 'inspect', 'plan', 'fix', 'convert', 'validate'];
const vm = {
  actions: STAGES.map((stage) => ({
    id: `vm.x:${stage}`,
    stage,
    input_hash: `in-${stage}`,
    depends_on: [],
    reason: '',
  })),
} as unknown as VmPlan;

function recorded(done: Partial<Record<Stage, string>>, hash = (s: Stage) => `in-${s}`): VmState {
  const stages: VmState['stages'] = {};
  for (const [stage, host] of Object.entries(done) as [Stage, string][])
    stages[stage] = { status: 'done', input_hash: hash(stage), outputs: [], started_at: '', finished_at: '', host };
  return { stages };
}

const left = (r: VmState | undefined, host = 'h1') => remainingActions(vm, r, host).map((a) => a.stage);

describe('where a worker resumes a VM', () => {
  it('nothing recorded: every stage', () => assert.deepEqual(left(undefined), STAGES));
  it('killed in FIX on this host: FIX onwards', () =>
    assert.deepEqual(left(recorded({ flatten: 'h1', inspect: 'h1', plan: 'h1' })), ['fix', 'convert', 'validate']));
  it('killed in FIX on another host: from FLATTEN, its overlay is not here', () =>
    assert.deepEqual(left(recorded({ flatten: 'h2', inspect: 'h2', plan: 'h2' })), STAGES));
  it('killed in VALIDATE on another host: only VALIDATE (CONVERT wrote to the shared output_dir)', () =>
    assert.deepEqual(left(recorded({ flatten: 'h2', inspect: 'h2', plan: 'h2', fix: 'h2', convert: 'h2' })), [
      'validate',
    ]));
  it('a stage recorded with another input hash is redone, with everything after it', () =>
    assert.deepEqual(
      left(
        recorded({ flatten: 'h1', inspect: 'h1', plan: 'h1', fix: 'h1' }, (s) => (s === 'plan' ? 'old' : `in-${s}`)),
      ),
      ['plan', 'fix', 'convert', 'validate'],
    ));
  it('everything done: nothing', () =>
    assert.deepEqual(
      left(recorded({ flatten: 'h1', inspect: 'h1', plan: 'h1', fix: 'h1', convert: 'h2', validate: 'h2' })),
      [],
    ));
});
