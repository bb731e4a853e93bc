// Faults during a whole apply of the Debian fixture from a real vcsim (FETCH included), each
// followed by applies until done and held to an uninterrupted run (kill-anywhere.ts has the
// checks): SIGTERM during FIX (a clean stop), and kill -9 at seeded random points. The random
// sample is small to keep `npm test` short (H2K_KILL_POINTS, default 1; H2K_KILL_SEED, default: the day);
// `npm run bench faults` runs 20 points with the boot test on.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { debianFixture } from '../fixtures/debian-guest.js';
import {
  type Scenario,
  checkFinished,
  describePoint,
  helpersOf,
  killPoints,
  referenceFrom,
  resumeUntilDone,
  runPoint,
  signalledApply,
  vsphereScenario,
} from './kill-anywhere.js';
import { debianConversion } from './shared-debian.js';

// A new seed each day by default: over many runs the sample covers the whole apply; a failure names
// its seed, and H2K_KILL_SEED=<seed> replays it.
const SEED = Number(process.env.H2K_KILL_SEED ?? Math.floor(Date.now() / 86_400_000));
const COUNT = Number(process.env.H2K_KILL_POINTS ?? 1);

describe(
  `faults during apply (real fixture in vcsim; seed ${SEED}, ${COUNT} random point(s))`,
  { timeout: 60 * 60_000 },
  () => {
    let scenario: Scenario;
    let reference: Awaited<ReturnType<typeof referenceFrom>>;

    before(async () => {
      scenario = await vsphereScenario(await debianFixture(), { boot: false });
      reference = await referenceFrom(scenario, await debianConversion());
    });
    after(async () => scenario?.stop());

    it('SIGTERM in FIX: 143, FIX recorded interrupted, lock released, helpers ended; next apply ends it', async () => {
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

    it('kill -9 at seeded points: same guest content, identical CONVERT, verified state, nothing left', async () => {
      for (const point of killPoints(SEED, COUNT, reference.seconds)) {
        const r = await runPoint(scenario, point, reference);
        const how = `in ${r.stage}, ${r.killed ? 'killed' : 'finished first'}, resumed in ${r.runs} run(s)`;
        console.log(`${describePoint(point)}: ${how}`);
        assert.deepEqual(r.problems, [], describePoint(point));
      }
    });
  },
);
