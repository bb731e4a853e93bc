// `npm run bench`: every benchmark, printed as figures and ratios against a peer in the same run.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchBootPaths } from './boot-paths.js';
import { benchFaults } from './faults.js';
import { benchFixtures } from './fixtures.js';
import { benchFleet } from './fleet.js';
import { benchApplianceKernel, benchGuestfish } from './guestfish.js';
import { benchLocalApply } from './local-apply.js';
import { benchParse } from './parse.js';
import { benchPlanWave } from './plan-wave.js';
import { benchSources } from './sources.js';
import { benchStress } from './stress.js';
import { benchVsphere } from './vsphere.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const only = process.argv.slice(2);
const benches: [string, () => Promise<Record<string, unknown>>][] = [
  ['parse', () => benchParse(repo)],
  ['guestfish', () => benchGuestfish()],
  ['appliance-kernel', () => benchApplianceKernel()],
  ['local-apply', () => benchLocalApply(repo)],
  ['vsphere', () => benchVsphere(repo)],
  ['sources', () => benchSources(repo)],
  ['fixtures', () => benchFixtures(repo)],
  ['boot-paths', () => benchBootPaths(repo)],
  ['faults', () => benchFaults()],
  ['fleet', () => benchFleet(repo)],
  ['plan-wave', () => benchPlanWave(repo)],
  // Only when named: `npm run bench stress` (H2K_STRESS_PARTS=builders or appliances for one half).
  ['stress', () => benchStress(repo, (process.env.H2K_STRESS_PARTS ?? '').split(',').filter(Boolean))],
];
for (const [name, run] of benches) {
  if (only.length ? !only.includes(name) : name === 'stress') continue;
  console.log(`== ${name}`);
  for (const [k, v] of Object.entries(await run())) console.log(`  ${k}: ${v}`);
}
