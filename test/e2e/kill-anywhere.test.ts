// kill -9 at seeded random points of a whole apply of the Debian fixture from a real vcsim (FETCH
// included), each followed by applies until done and held to an uninterrupted run (kill-anywhere.ts
// has the checks; SIGTERM during FIX is vsphere-debian.test.ts). The random sample is small to keep
// `npm test` short (H2K_KILL_POINTS, default 1; H2K_KILL_SEED, default: the day); `npm run bench
// faults` runs 20 points with the boot test on.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { debianFixture } from '../fixtures/debian-guest.js';
import { type Scenario, describePoint, killPoints, referenceFrom, runPoint, vsphereScenario } from './kill-anywhere.js';
import { debianConversion } from './shared-debian.js';

// A new seed each day by default: over many runs the sample covers the whole apply; a failure names
// its seed, and H2K_KILL_SEED=<seed> replays it.
const SEED = Number(process.env.H2K_KILL_SEED ?? Math.floor(Date.now() / 86_400_000));
const COUNT = Number(process.env.H2K_KILL_POINTS ?? 1);

describe(
  `kill -9 during apply (real fixture in vcsim; seed ${SEED}, ${COUNT} random point(s))`,
  { timeout: 60 * 60_000 },
  () => {
    // The Debian fixture as a VM in a vcsim of this file's own, boot test off; the run's shared
    // conversion of the same disk is the reference each faulted apply is held to.
    const s = {} as { scenario: Scenario; reference: Awaited<ReturnType<typeof referenceFrom>> };
    before(async () => {
      s.scenario = await vsphereScenario(await debianFixture(), { boot: false });
      s.reference = await referenceFrom(s.scenario, await debianConversion());
    });
    after(async () => s.scenario?.stop());

    it('kill -9 at seeded points: same guest content, identical CONVERT, verified state, nothing left', async () => {
      for (const point of killPoints(SEED, COUNT, s.reference.seconds)) {
        const r = await runPoint(s.scenario, point, s.reference);
        const how = `in ${r.stage}, ${r.killed ? 'killed' : 'finished first'}, resumed in ${r.runs} run(s)`;
        console.log(`${describePoint(point)}: ${how}`);
        assert.deepEqual(r.problems, [], describePoint(point));
      }
    });
  },
);
