// The setup both fault files share (kill-anywhere.test.ts, sigterm-in-fix.test.ts): the Debian
// fixture as a VM in a vcsim of the file's own, boot test off, and the run's shared conversion of
// the same disk as the reference a faulted apply is held to.
import { after, before } from 'node:test';
import { debianFixture } from '../fixtures/debian-guest.js';
import { type Scenario, referenceFrom, vsphereScenario } from './kill-anywhere.js';
import { debianConversion } from './shared-debian.js';

/** Called in a describe: set before its tests run, the simulator stopped after them. */
export function faultScenario(): { scenario: Scenario; reference: Awaited<ReturnType<typeof referenceFrom>> } {
  const s = {} as ReturnType<typeof faultScenario>;
  before(async () => {
    s.scenario = await vsphereScenario(await debianFixture(), { boot: false });
    s.reference = await referenceFrom(s.scenario, await debianConversion());
  });
  after(async () => s.scenario?.stop());
  return s;
}
