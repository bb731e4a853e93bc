// Load, not speed: what CI and a conversion host do to the tools when many things run at once.
//   builders:   the three fixture builders side by side with a CPU hog beside them, each round into an
//               empty cache of its own (H2K_FIXTURE_CACHE), so every step runs: mmdebstrap, grub,
//               the checks. H2K_STRESS_BUILDER_ROUNDS (default 5).
//   appliances: four `h2k plan` (inspection) and two `h2k apply` (boot test off) of the fixtures at
//               once, each in a configuration directory of its own. H2K_STRESS_APPLIANCE_ROUNDS
//               (default 10).
// Each failure is printed with the last lines it wrote; the figures are rounds, failures and times.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { timed } from './timed.js';

const BUILDERS = ['build-debian-guest.sh', 'build-ubuntu-guest.sh', 'build-enterprise-guest.sh'];

function cpuHog(): () => void {
  const hog = spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' });
  return () => hog.kill('SIGKILL');
}

function tail(text: string, n = 6): string {
  return text.trim().split('\n').slice(-n).join('\n    ');
}

async function builders(repo: string, rounds: number): Promise<Record<string, unknown>> {
  let failures = 0;
  const times: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    const cache = mkdtempSync(join('/var/tmp', 'h2k-stress-cache-'));
    const stop = cpuHog();
    try {
      const [results, seconds] = await timed(() =>
        Promise.all(
          BUILDERS.map((b) =>
            execa('bash', [join(repo, 'test', 'fixtures', b)], {
              env: { H2K_FIXTURE_CACHE: cache },
              reject: false,
              all: true,
            }),
          ),
        ),
      );
      times.push(seconds);
      results.forEach((r, i) => {
        // guestfish_in_order's relaunches (lib.sh): the appliance named the guest's disk out of order.
        const relaunched = (r.all ?? '').split('\n').filter((l) => l.includes('launching again')).length;
        if (relaunched) console.log(`  round ${round}: ${BUILDERS[i]}: ${relaunched} appliance(s) launched again`);
        if (r.exitCode === 0) return;
        failures++;
        console.log(`  round ${round}: ${BUILDERS[i]} failed (exit ${r.exitCode}):\n    ${tail(r.all ?? '')}`);
      });
      console.log(
        `  round ${round}: ${seconds.toFixed(0)} s, ${results.filter((r) => r.exitCode !== 0).length} failed`,
      );
    } finally {
      stop();
      rmSync(cache, { recursive: true, force: true });
    }
  }
  return {
    'builder rounds (3 builders + a CPU hog)': rounds,
    'builder failures': failures,
    'round seconds': times.map((t) => t.toFixed(0)).join(', '),
  };
}

async function fixtureDir(repo: string, script: string): Promise<string> {
  const r = await execa('bash', [join(repo, 'test', 'fixtures', script)]);
  return r.stdout.trim().split('\n').pop()!;
}

function config(fixture: string, disks: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'h2k-stress-'));
  writeFileSync(
    join(dir, 'main.h2k.hcl'),
    `source "local" "fx" {\n  directory = "${fixture}"\n}\n` +
      `policy "p" {\n  output_dir = "./out"\n  boot_test  = false\n}\n` +
      `vm "g" {\n  source = source.local.fx\n  disks  = [${disks.map((d) => `"${d}"`).join(', ')}]\n` +
      `  policy = policy.p\n  memory = 1024\n}\n`,
  );
  return dir;
}

async function appliances(repo: string, rounds: number): Promise<Record<string, unknown>> {
  const d = await fixtureDir(repo, 'build-debian-guest.sh');
  const u = await fixtureDir(repo, 'build-ubuntu-guest.sh');
  const e = await fixtureDir(repo, 'build-enterprise-guest.sh');
  const plans: [string, string[]][] = [
    [d, ['debian-vmware-sparse.vmdk']],
    [u, ['ubuntu-vmware-sparse.vmdk']],
    [e, ['enterprise-vmware-sparse.vmdk', 'enterprise-data-sparse.vmdk']],
    [d, ['debian-hwaddr-sparse.vmdk']],
  ];
  const applies: [string, string[]][] = [
    [d, ['debian-sda1-sparse.vmdk']],
    [u, ['ubuntu-vmware-sparse.vmdk']],
  ];
  const h2k = join(repo, 'bin', 'h2k');
  let failures = 0;
  let runs = 0;
  const times: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    const dirs: string[] = [];
    const [results, seconds] = await timed(() =>
      Promise.all([
        ...plans.map(([f, disks]) => {
          const dir = config(f, disks);
          dirs.push(dir);
          return execa(h2k, ['plan', dir, '--no-color'], { reject: false, all: true });
        }),
        ...applies.map(([f, disks]) => {
          const dir = config(f, disks);
          dirs.push(dir);
          return execa(h2k, ['apply', dir, '-auto-approve', '--no-color'], { reject: false, all: true });
        }),
      ]),
    );
    times.push(seconds);
    runs += results.length;
    const failed = results.filter((r) => r.exitCode !== 0);
    failures += failed.length;
    for (const r of failed)
      console.log(`  round ${round}: ${r.command.slice(0, 80)} failed:\n    ${tail(r.all ?? '')}`);
    console.log(`  round ${round}: ${seconds.toFixed(0)} s, ${failed.length} of ${results.length} failed`);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
  return {
    'appliance rounds (4 plans + 2 applies at once)': rounds,
    runs: runs,
    failures: failures,
    'round seconds': times.map((t) => t.toFixed(0)).join(', '),
  };
}

export async function benchStress(repo: string, parts: string[]): Promise<Record<string, unknown>> {
  const all = parts.length === 0;
  return {
    ...(all || parts.includes('builders')
      ? await builders(repo, Number(process.env.H2K_STRESS_BUILDER_ROUNDS) || 5)
      : {}),
    ...(all || parts.includes('appliances')
      ? await appliances(repo, Number(process.env.H2K_STRESS_APPLIANCE_ROUNDS) || 10)
      : {}),
  };
}
