// Kill -9 anywhere, in full: 20 seeded points (H2K_KILL_SEED, default 1; H2K_KILL_POINTS) across a
// whole apply of the Debian fixture from a real vcsim with the boot test on (H2K_KILL_BOOT=0: off),
// each resumed until done and checked against an uninterrupted local conversion of the same disk
// (test/e2e/kill-anywhere.ts, shared-debian.ts).
// Prints every point, the stage it hit, and the count that passed. H2K_KILL_ONLY=4,9 runs only
// those points of the seeded sequence (to re-run one). Run nothing else that mounts FUSE meanwhile:
// the check for leftover mounts looks at the whole machine.
import { debianFixture } from '../test/fixtures/debian-guest.js';
import { describePoint, killPoints, referenceFrom, runPoint, vsphereScenario } from '../test/e2e/kill-anywhere.js';
import { debianConversion } from '../test/e2e/shared-debian.js';

export async function benchFaults(): Promise<Record<string, unknown>> {
  const seed = Number(process.env.H2K_KILL_SEED ?? 1);
  const count = Number(process.env.H2K_KILL_POINTS ?? 20);
  // H2K_KILL_BOOT=0 leaves the boot test out (VALIDATE is then qemu-img check and the domain XML).
  const boot = process.env.H2K_KILL_BOOT !== '0';
  const scenario = await vsphereScenario(await debianFixture(), { boot });
  const out: Record<string, unknown> = {};
  try {
    const reference = await referenceFrom(scenario, await debianConversion());
    out['uninterrupted plan + apply (local)'] = `${reference.seconds.toFixed(1)} s (boot test ${boot ? 'on' : 'off'})`;
    let passed = 0;
    let ran = 0;
    const stages: Record<string, number> = {};
    const only = process.env.H2K_KILL_ONLY?.split(',').map(Number);
    for (const point of killPoints(seed, count, reference.seconds)) {
      if (only && !only.includes(point.n)) continue;
      ran++;
      const started = Date.now();
      const r = await runPoint(scenario, point, reference).catch((err: Error) => ({
        point,
        stage: '?',
        killed: false,
        runs: 0,
        problems: [err.message.split('\n')[0]],
      }));
      if (r.problems.length === 0) passed++;
      stages[r.stage] = (stages[r.stage] ?? 0) + 1;
      const took = ((Date.now() - started) / 1000).toFixed(0);
      const line =
        `in ${r.stage}, ${r.killed ? 'killed' : 'finished first'}, ${r.runs} resume run(s), ${took} s: ` +
        (r.problems.length ? `FAILED: ${r.problems.join('; ')}` : 'ok');
      out[describePoint(point)] = line;
      // Printed as it goes too: a full run takes the better part of an hour.
      console.log(`  ${describePoint(point)}: ${line}`);
    }
    out['stages hit'] = Object.entries(stages)
      .map(([s, n]) => `${s} ${n}`)
      .join(', ');
    out['passed'] = `${passed}/${ran} (seed ${seed}${only ? `, points ${only.join(', ')} of ${count}` : ''})`;
  } finally {
    await scenario.stop();
  }
  return out;
}
