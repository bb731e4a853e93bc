// A wave planned with inspection: 12 VMs over the fixtures' disks (D's three variants three times
// each, U, and E's two disks twice; the repeats stand for VMs cloned from one template, as waves
// are) planned with a launch per VM, with up to 12 guests per launch at -parallelism 2 (two launches
// side by side), and in one launch (-parallelism 1), in the same run. E's two VMs share PV UUIDs,
// so they are inspected alone: the figure says so. Every VM's plan must be byte-identical in all three.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { timed } from './timed.js';

const fixtureDir = async (repo: string, builder: string) =>
  (await execa('bash', [join(repo, 'test/fixtures', builder)])).stdout.trim().split('\n').at(-1)!;

export async function benchPlanWave(repo: string): Promise<Record<string, unknown>> {
  const d = await fixtureDir(repo, 'build-debian-guest.sh');
  const u = await fixtureDir(repo, 'build-ubuntu-guest.sh');
  const e = await fixtureDir(repo, 'build-enterprise-guest.sh');
  const vms: [string, string, string[]][] = [];
  for (const round of [1, 2, 3])
    for (const v of ['vmware', 'sda1', 'hwaddr']) vms.push([`d_${v}_${round}`, 'd', [`debian-${v}-sparse.vmdk`]]);
  vms.push(['u', 'u', ['ubuntu-vmware-sparse.vmdk']]);
  for (const round of [1, 2])
    vms.push([`e_${round}`, 'e', ['enterprise-vmware-sparse.vmdk', 'enterprise-data-sparse.vmdk']]);
  const dir = mkdtempSync(join(tmpdir(), 'h2k-bench-wave-'));
  const sources = Object.entries({ d, u, e })
    .map(([name, path]) => `source "local" "${name}" {\n  directory = "${path}"\n}\n`)
    .join('\n');
  const blocks = vms
    .map(
      ([name, source, disks]) =>
        `vm "${name}" {\n  source = source.local.${source}\n  disks  = [${disks.map((x) => `"${x}"`).join(', ')}]\n}\n`,
    )
    .join('\n');
  writeFileSync(join(dir, 'main.h2k.hcl'), `${sources}\n${blocks}`);
  const h2k = join(repo, 'bin', 'h2k');
  const plan = async (batch: number, parallelism = 2) => {
    const out = join(dir, `batch-${batch}-${parallelism}.json`);
    const args = ['-inspect-batch', String(batch), '-parallelism', String(parallelism), '-out', out, '--no-color'];
    const [r, seconds] = await timed(() => execa(h2k, ['plan', dir, ...args], { reject: false }));
    if (r.exitCode !== 0) throw new Error(`plan -inspect-batch ${batch} failed: ${r.stderr}`);
    // Every launch announces itself, a clone's launch of its own too ("reading disks and inspecting the guest").
    const launches = [...r.stderr.matchAll(/inspecting (the guest|\d+ guests)[^\n]*launch/g)].length;
    const vmsOf = JSON.parse(readFileSync(out, 'utf8')).vms as Record<string, unknown>;
    return { seconds, launches, vms: vmsOf, alone: [...r.stderr.matchAll(/(vm\.\w+): inspected in [^\n]*; alone/g)] };
  };
  const own = await plan(1);
  const shared = await plan(12);
  const widest = await plan(12, 1);
  const differ = Object.keys(own.vms).filter(
    (k) =>
      JSON.stringify(own.vms[k]) !== JSON.stringify(shared.vms[k]) ||
      JSON.stringify(own.vms[k]) !== JSON.stringify(widest.vms[k]),
  );
  if (differ.length) throw new Error(`plans differ between a shared launch and a launch each: ${differ.join(', ')}`);
  const sharing = vms.length - shared.alone.length;
  const figure = (r: { launches: number; seconds: number }) =>
    `${r.launches} launches, ${r.seconds.toFixed(1)} s, ${(r.seconds / vms.length).toFixed(1)} s/VM`;
  const clones = shared.alone.map((m) => m[1]).join(', ') || 'none';
  return {
    vms: vms.length,
    'launch per VM (-inspect-batch 1, -parallelism 2)': figure(own),
    'shared (-inspect-batch 12, -parallelism 2: two launches side by side)': figure(shared),
    'one launch (-inspect-batch 12, -parallelism 1)': figure(widest),
    'VMs sharing a launch': `${sharing} (inspected alone, clones: ${clones})`,
    'time ratio shared / launch per VM': (shared.seconds / own.seconds).toFixed(2),
    'time ratio one launch / launch per VM': (widest.seconds / own.seconds).toFixed(2),
    'plans byte-identical': `${Object.keys(own.vms).length}/${vms.length}`,
  };
}
