// The fleet on a private Postgres: (1) what the queue costs per job — the same FleetQueue the
// workers use, with a handler that does nothing, so every millisecond is fetch, claim, complete and
// the apply side's notice — against (2) a real VM's own time; and the wall time of N independent
// small VMs (the Debian fixture's variants, boot test off) planned (inspection batched) and applied
// by 1 worker converting one VM at a time and by 2 workers with -concurrency 2 each: VMs per hour and
// the stage time summed over the VMs (where the time goes).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { median, timed } from './timed.js';
import { PgBackend } from '../src/state/pg/backend.js';
import { FleetQueue } from '../src/state/pg/queue.js';
import { Sensitive } from '../src/schema/values.js';
import { startPostgres } from '../test/fixtures/postgres.js';

const DISKS = ['debian-vmware-sparse.vmdk', 'debian-sda1-sparse.vmdk', 'debian-hwaddr-sparse.vmdk'];

function configFor(fixture: string, schema: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'h2k-bench-fleet-'));
  const vms = DISKS.map(
    (d, i) =>
      `vm "v${i}" {\n  source = source.local.fx\n  disks  = ["${d}"]\n  policy = policy.p\n  memory = 1024\n}\n`,
  ).join('\n');
  writeFileSync(
    join(dir, 'main.h2k.hcl'),
    `variable "pg_conn" {\n  type      = string\n  sensitive = true\n}\n\n` +
      `backend "pg" {\n  conn_str    = var.pg_conn\n` +
      `  schema_name = "${schema}"\n}\n\nsource "local" "fx" {\n  directory = "${fixture}"\n}\n\npolicy "p" {\n` +
      `  output_dir = "./out"\n  boot_test  = false\n}\n\n${vms}`,
  );
  return dir;
}

async function queueOverhead(url: string, jobs: number) {
  const backend = new PgBackend({ type: 'pg', conn_str: new Sensitive(url), schema_name: 'queuebench' });
  const queue = new FleetQueue(backend);
  await queue.start();
  const claimLatency: number[] = [];
  await queue.work(1, async ({ data }) => {
    claimLatency.push(Date.now() - (data as { sent: number }).sent);
    return { outcome: 'done' };
  });
  const [ids, seconds] = await timed(async () => {
    const sent: string[] = [];
    for (let i = 0; i < jobs; i++)
      sent.push(await queue.send({ sent: Date.now() }, { expireInSeconds: 60, retryLimit: 0 }));
    // Done when every job is completed, as the apply side sees it.
    for (const id of sent)
      while ((await queue.job(id))?.state !== 'completed') await new Promise((r) => setTimeout(r, 20));
    return sent;
  });
  await queue.stop();
  await backend.close();
  return { perJobMs: (seconds * 1000) / ids.length, claimMedianMs: median(claimLatency) };
}

/** Plan (batched inspection) and `apply -workers` of the three VMs on `workers` worker processes,
 *  each converting `concurrency` VMs at once; seconds per stage summed over the VMs. */
async function fleetRun(
  h2k: string,
  fixture: string,
  url: string,
  schema: string,
  workers: number,
  concurrency: number,
) {
  const dir = configFor(fixture, schema);
  const env = { ...process.env, H2K_VAR_pg_conn: url, NO_COLOR: '1' };
  const [plan, planSeconds] = await timed(() =>
    execa(h2k, ['plan', dir, '-out', join(dir, 'plan.json')], { env, reject: false }),
  );
  if (plan.exitCode !== 0) throw new Error(`plan failed: ${plan.stderr}`);
  const [r, seconds] = await timed(async () => {
    const ws = Array.from({ length: workers }, () =>
      execa(h2k, ['worker', dir, '-idle-exit', '3s', '-concurrency', String(concurrency)], { env, reject: false }),
    );
    const apply = await execa(h2k, ['apply', join(dir, 'plan.json'), '-workers'], { env, reject: false });
    await Promise.all(ws);
    return apply;
  });
  if (r.exitCode !== 0) throw new Error(`apply -workers failed: ${r.stderr}`);
  const stages: Record<string, number> = {};
  for (const m of r.stderr.matchAll(/: (\w+): done in ([\d.]+) s/g)) stages[m[1]] = (stages[m[1]] ?? 0) + Number(m[2]);
  const vmSeconds = Object.values(stages).reduce((n, x) => n + x, 0);
  const total = planSeconds + seconds;
  return {
    planSeconds,
    seconds,
    vmSeconds,
    perHour: (3600 * DISKS.length) / total,
    where: Object.entries(stages)
      .filter(([, x]) => x >= 0.5)
      .map(([st, x]) => `${st} ${x.toFixed(0)} s`)
      .join(', '),
  };
}

export async function benchFleet(repo: string): Promise<Record<string, unknown>> {
  const pg = await startPostgres();
  try {
    const fixture = (await execa('bash', [join(repo, 'test/fixtures/build-debian-guest.sh')])).stdout
      .trim()
      .split('\n')
      .pop()!;
    const jobs = 50;
    const q = await queueOverhead(pg.url, jobs);
    const h2k = join(repo, 'bin/h2k');
    const one = await fleetRun(h2k, fixture, pg.url, 'one', 1, 1);
    const two = await fleetRun(h2k, fixture, pg.url, 'two', 2, 2);
    const perVm = one.vmSeconds / DISKS.length;
    const said = (r: typeof one) =>
      `plan ${r.planSeconds.toFixed(1)} s + apply ${r.seconds.toFixed(1)} s: ${r.perHour.toFixed(1)} VMs/hour; ` +
      `stage time summed over the VMs: ${r.where}`;
    return {
      'queue jobs (no-op handler)': jobs,
      'queue overhead per job (send → completed as apply sees it)': `${q.perJobMs.toFixed(1)} ms`,
      'send → worker claim (median)': `${q.claimMedianMs} ms`,
      "a VM's own stage time (mean, 1 worker)": `${perVm.toFixed(1)} s`,
      'queue overhead / VM time': (q.perJobMs / 1000 / perVm).toFixed(5),
      [`${DISKS.length} VMs, 1 worker, -concurrency 1`]: said(one),
      [`${DISKS.length} VMs, 2 workers, -concurrency 2 each`]: said(two),
      '2×2 / 1×1 (plan + apply wall)': ((two.planSeconds + two.seconds) / (one.planSeconds + one.seconds)).toFixed(2),
      cores: (await execa('nproc')).stdout.trim(),
    };
  } finally {
    await pg.stop();
  }
}
