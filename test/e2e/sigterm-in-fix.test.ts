// SIGTERM during FIX of a whole apply of the Debian fixture from a real vcsim (FETCH included): a
// clean stop (143, FIX recorded interrupted, the lock released, no helper left), then applies until
// done, held to an uninterrupted run (kill-anywhere.ts has the checks). The seeded kill -9 points
// are kill-anywhere.test.ts; the two are separate files so that each is one lane's work, not both.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { faultScenario } from './fault-scenario.js';
import { checkFinished, helpersOf, resumeUntilDone, signalledApply } from './kill-anywhere.js';

describe('SIGTERM during apply (real fixture in vcsim)', { timeout: 60 * 60_000 }, () => {
  const s = faultScenario();

  it('SIGTERM in FIX: 143, FIX recorded interrupted, lock released, helpers ended; next apply ends it', async () => {
    const { scenario, reference } = s;
    const dir = scenario.configDir();
    const r = await signalledApply(dir, scenario.env, 'SIGTERM', /fix: run update-initramfs/);
    assert.equal(r.code, 143, r.stderr);
    assert.match(r.stderr, /SIGTERM: stopping \(the stages in progress are recorded as interrupted/);
    const state = JSON.parse(readFileSync(join(dir, '.h2k', 'state.json'), 'utf8'));
    const fix = state.vms[scenario.vm].stages.fix;
    assert.equal(fix.status, 'interrupted');
    assert.equal(fix.error, 'interrupted by SIGTERM');
    assert.ok(!existsSync(join(dir, '.h2k', 'state.lock')), 'the lock was not released');
    assert.deepEqual(await helpersOf(dir), [], 'helpers outlived h2k');
    assert.equal(await resumeUntilDone(dir, scenario.env), 1, 'a stale lock or a failure after SIGTERM');
    assert.deepEqual(await checkFinished(scenario, dir, reference), []);
  });
});
