// h2k apply (boot test off) vs virt-v2v on the same fixture, in the same run; h2k's CONVERT stage
// vs a bare qemu-img convert of the same source; output sizes; libguestfs launches per phase.
// virt-v2v cannot convert the by-path fixture at all, so it is measured on the /dev/sda1 variant.
import { mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { timed } from './timed.js';

const GUESTFS = {
  LIBGUESTFS_BACKEND: process.env.LIBGUESTFS_BACKEND ?? 'direct',
  LIBGUESTFS_BACKEND_SETTINGS: process.env.LIBGUESTFS_BACKEND_SETTINGS ?? 'force_tcg',
};

function configFor(fixture: string, disk: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'h2k-bench-'));
  writeFileSync(
    join(dir, 'main.h2k.hcl'),
    `source "local" "fx" {\n  directory = "${fixture}"\n}\npolicy "p" {\n  output_dir = "./out"\n  boot_test  ` +
      `= false\n}\nvm "debian" {\n  source = source.local.fx\n  disks  = ["${disk}"]\n  policy = policy.p\n}\n`,
  );
  return dir;
}

export async function benchLocalApply(repo: string): Promise<Record<string, unknown>> {
  const fixture = (await execa('bash', [join(repo, 'test/fixtures/build-debian-guest.sh')])).stdout
    .trim()
    .split('\n')
    .pop()!;
  const h2k = join(repo, 'bin/h2k');
  const sda1 = 'debian-sda1-sparse.vmdk';

  const planDir = configFor(fixture, sda1);
  const [plan] = await timed(() => execa(h2k, ['plan', planDir, '--debug', '--no-color'], { reject: false }));
  const planLaunches = Number(/libguestfs launches: (\d+)/.exec(plan.stderr)?.[1] ?? NaN);

  const dir = configFor(fixture, sda1);
  const [apply, applyS] = await timed(() =>
    execa(h2k, ['apply', dir, '-auto-approve', '--debug', '--no-color'], { reject: false }),
  );
  if (apply.exitCode !== 0) throw new Error(`h2k apply failed: ${apply.stderr}`);
  const convertS = Number(/convert: done in ([\d.]+) s/.exec(apply.stderr)?.[1]);
  const fixLaunches = Number(
    /fix: done in [\d.]+ s \(\d+ change\(s\), (\d+) libguestfs launch/.exec(apply.stderr)?.[1],
  );
  const applyLaunches = Number(/libguestfs launches: (\d+)/.exec(apply.stderr)?.[1] ?? NaN);
  const h2kOut = statSync(join(dir, 'out', 'debian.qcow2')).size;

  const bare = join(mkdtempSync(join(tmpdir(), 'h2k-bench-')), 'bare.qcow2');
  const [, bareS] = await timed(() =>
    execa('qemu-img', ['convert', '-f', 'vmdk', '-O', 'qcow2', join(fixture, sda1), bare]),
  );

  const v2vDir = mkdtempSync(join(tmpdir(), 'h2k-bench-v2v-'));
  const [v2v, v2vS] = await timed(() =>
    execa('virt-v2v', ['-i', 'disk', join(fixture, sda1), '-o', 'local', '-os', v2vDir, '-of', 'qcow2'], {
      env: GUESTFS,
      reject: false,
    }),
  );
  const v2vOk = v2v.exitCode === 0;
  const v2vFile = readdirSync(v2vDir).find((f) => !f.endsWith('.xml'));
  const v2vOut = v2vOk && v2vFile ? statSync(join(v2vDir, v2vFile)).size : NaN;

  const byPathDir = mkdtempSync(join(tmpdir(), 'h2k-bench-v2v-'));
  mkdirSync(byPathDir, { recursive: true });
  const byPath = await execa(
    'virt-v2v',
    ['-i', 'disk', join(fixture, 'debian-vmware-sparse.vmdk'), '-o', 'local', '-os', byPathDir, '-of', 'qcow2'],
    { env: GUESTFS, reject: false },
  );
  const byPathErr =
    byPath.exitCode === 0
      ? 'converted'
      : `fails: ${(byPath.stderr.split('\n').find((l) => /error/i.test(l)) ?? '').trim().slice(0, 140)}`;

  return {
    'h2k apply, boot test off (s)': applyS.toFixed(1),
    'virt-v2v, /dev/sda1 variant (s)': v2vOk ? v2vS.toFixed(1) : `failed: ${v2v.stderr.slice(-200)}`,
    'ratio h2k apply / virt-v2v (target <= 0.6)': v2vOk ? (applyS / v2vS).toFixed(2) : 'n/a',
    'h2k convert stage (s)': convertS.toFixed(1),
    'bare qemu-img convert of the source (s)': bareS.toFixed(1),
    'ratio convert / qemu-img (target <= 1.10)': (convertS / bareS).toFixed(2),
    'output size h2k (MiB)': (h2kOut / 2 ** 20).toFixed(0),
    'output size virt-v2v (MiB)': (v2vOut / 2 ** 20).toFixed(0),
    'libguestfs launches: plan': planLaunches,
    'libguestfs launches: apply fix': fixLaunches,
    'libguestfs launches: apply from a directory (plan + fix)': applyLaunches,
    'virt-v2v on the by-path fixture': byPathErr,
  };
}
