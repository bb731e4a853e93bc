// Kill -9 at seeded random points of a whole apply (vSphere source: FETCH included), resume until
// done, and hold the result to an uninterrupted run's (see kill-anywhere.ts for the checks). The
// sample here is small to keep `npm test` short (H2K_KILL_POINTS, default 1; H2K_KILL_SEED, default
// 1); `npm run bench faults` runs 20 points with the boot test on.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { debianFixture } from '../fixtures/debian-guest.js';
import { type Scenario, describePoint, killPoints, referenceRun, runPoint, vsphereScenario } from './kill-anywhere.js';

const SEED = Number(process.env.H2K_KILL_SEED ?? 1);
const COUNT = Number(process.env.H2K_KILL_POINTS ?? 1);

describe(
  `kill -9 anywhere, then resume (real fixture in vcsim; seed ${SEED}, ${COUNT} point(s))`,
  { timeout: 60 * 60_000 },
  () => {
    let scenario: Scenario;
    let reference: Awaited<ReturnType<typeof referenceRun>>;

    before(async () => {
      scenario = await vsphereScenario(await debianFixture(), { boot: false });
      reference = await referenceRun(scenario);
    });
    after(async () => scenario?.stop());

    it('each point: same guest content, byte-identical CONVERT, state and audit verify, nothing left', async () => {
      const points = killPoints(SEED, COUNT, reference.seconds);
      for (const point of points) {
        const r = await runPoint(scenario, point, reference);
        console.log(
          `${describePoint(point)}: in ${r.stage}, ${r.killed ? 'killed' : 'finished first'}, ` +
            `resumed in ${r.runs} run(s)`,
        );
        assert.deepEqual(r.problems, [], describePoint(point));
      }
    });
  },
);
