// The fixture matrix, side by side with virt-v2v: for each real fixture (D, D with a hwaddress pin,
// U, E, S, L; H2K_BENCH_FIXTURES=S,E picks some by their letter), does h2k convert it, does virt-v2v,
// and does each output boot — judged by h2k's own boot test, with the network the guest's
// configuration intends (from h2k's plan) — plus the times and the apply/virt-v2v time ratio. Both
// tools run in the same script, one after the other.
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { bootTest } from '../src/executors/boot-test.js';
import { prepareBootOverlays } from '../src/guests/boot.js';
import { familyForGuest } from '../src/guests/registry.js';
import { Sensitive } from '../src/schema/values.js';
import type { VmPlan } from '../src/model/plan.js';
import { timed } from './timed.js';

const GUESTFS = {
  LIBGUESTFS_BACKEND: process.env.LIBGUESTFS_BACKEND ?? 'direct',
  LIBGUESTFS_BACKEND_SETTINGS: process.env.LIBGUESTFS_BACKEND_SETTINGS ?? 'force_tcg',
};

interface Fixture {
  name: string;
  script: string;
  disks: string[];
  /** What a user answers virt-v2v (its options), where it would ask. */
  v2vArgs?: string[];
  /** An encrypted root: its device and the passphrase its builder set. */
  luks?: { device: string; name: string; passphrase: string };
}

const FIXTURES: Fixture[] = [
  { name: 'D (Debian, by-path root, ifupdown)', script: 'build-debian-guest.sh', disks: ['debian-vmware-sparse.vmdk'] },
  { name: 'D, hwaddress pin', script: 'build-debian-guest.sh', disks: ['debian-hwaddr-sparse.vmdk'] },
  { name: 'U (Ubuntu layout, netplan static)', script: 'build-ubuntu-guest.sh', disks: ['ubuntu-vmware-sparse.vmdk'] },
  {
    name: 'E (EL layout, UEFI, LVM, dracut, NM static, 2 disks)',
    script: 'build-enterprise-guest.sh',
    disks: ['enterprise-vmware-sparse.vmdk', 'enterprise-data-sparse.vmdk'],
  },
  {
    name: 'S (SLES-style, btrfs subvolumes + snapper, by-id, dracut, NM static)',
    script: 'build-suse-guest.sh',
    disks: ['suse-vmware-sparse.vmdk'],
    // virt-v2v takes snapper's snapshots for systems of their own and asks which of three roots to
    // convert; the user answers the first, /dev/sda2.
    v2vArgs: ['--root', 'first'],
  },
  {
    name: 'L (Debian, / in LUKS2, crypttab by-path, ifupdown static)',
    script: 'build-luks-guest.sh',
    disks: ['luks-vmware-sparse.vmdk'],
    luks: { device: '/dev/sda2', name: 'sda2_crypt', passphrase: 'correct horse battery staple' },
  },
];

function config(fixture: string, f: Fixture): string {
  const dir = mkdtempSync(join(tmpdir(), 'h2k-bench-'));
  const list = f.disks.map((d) => `"${d}"`).join(', ');
  const luks = f.luks
    ? {
        variable: 'variable "luks" {\n  sensitive = true\n}\n',
        vm: `  luks_keys = { "${f.luks.device}" = var.luks }\n`,
      }
    : { variable: '', vm: '' };
  writeFileSync(
    join(dir, 'main.h2k.hcl'),
    `${luks.variable}source "local" "fx" {\n  directory = "${fixture}"\n}\n` +
      `policy "p" {\n  output_dir = "./out"\n  boot_test  = false\n}\n` +
      `vm "g" {\n  source = source.local.fx\n  disks  = [${list}]\n  policy = policy.p\n  memory = 1024\n${luks.vm}}\n`,
  );
  return dir;
}

/** The passphrase as each tool takes it: h2k from a sensitive variable's environment, virt-v2v from a
 *  file (its --key ID:file:PATH; ID:key:PASSPHRASE would put it in argv). */
function luksInputs(f: Fixture): { env: Record<string, string>; v2vArgs: string[] } {
  if (!f.luks) return { env: {}, v2vArgs: [] };
  const file = join(mkdtempSync(join(tmpdir(), 'h2k-bench-key-')), 'key');
  writeFileSync(file, f.luks.passphrase, { mode: 0o600 });
  return { env: { H2K_VAR_luks: f.luks.passphrase }, v2vArgs: ['--key', `${f.luks.device}:file:${file}`] };
}

/** virt-v2v takes several disks only through a libvirt XML description of the VM. */
function v2vInput(fixture: string, disks: string[], uefi: boolean): string[] {
  if (disks.length === 1) return ['-i', 'disk', join(fixture, disks[0])];
  const xml = join(mkdtempSync(join(tmpdir(), 'h2k-bench-v2v-')), 'g.xml');
  const devs = disks
    .map(
      (d, i) =>
        `<disk type="file" device="disk"><driver name="qemu" type="vmdk"/><source file="${join(fixture, d)}"/>` +
        `<target dev="sd${String.fromCharCode(97 + i)}" bus="scsi"/></disk>`,
    )
    .join('');
  writeFileSync(
    xml,
    `<domain type="kvm"><name>g</name><memory unit="MiB">1024</memory><vcpu>2</vcpu>` +
      `<os${uefi ? ' firmware="efi"' : ''}><type arch="x86_64">hvm</type></os><devices>${devs}</devices></domain>`,
  );
  return ['-i', 'libvirtxml', xml];
}

async function boots(vm: VmPlan, images: string[], format: string, workDir: string, f: Fixture): Promise<string> {
  const guest = vm.facts.guest!;
  const evidence = familyForGuest(guest).boot;
  const unlocks = f.luks ? [{ device: f.luks.device, name: f.luks.name, key: new Sensitive(f.luks.passphrase) }] : [];
  const v = await bootTest({
    machine: { name: 'bench', disks: images, format, hw: vm.facts.hardware },
    evidence,
    prepare: (layers) => prepareBootOverlays(layers, guest, undefined, unlocks),
    ...(unlocks.length ? { unlock: { prompts: evidence.passphrasePrompts ?? [], keys: unlocks } } : {}),
    ...(vm.network ? { network: vm.network } : {}),
    timeoutSec: 900,
    workDir,
  });
  return v.passed ? `yes (${v.seconds.toFixed(0)} s)` : `no: ${v.failure}`;
}

export async function benchFixtures(repo: string): Promise<Record<string, unknown>> {
  const h2k = join(repo, 'bin/h2k');
  const out: Record<string, unknown> = {};
  const rows: string[] = ['fixture | h2k converts | h2k boots | h2k s | virt-v2v converts | v2v boots | v2v s | ratio'];
  const picked = process.env.H2K_BENCH_FIXTURES?.split(',');
  for (const f of FIXTURES.filter((x) => !picked || picked.includes(x.name.split(/[ ,]/)[0]))) {
    const fixture = (await execa('bash', [join(repo, 'test/fixtures', f.script)])).stdout.trim().split('\n').pop()!;
    const dir = config(fixture, f);
    const keys = luksInputs(f);
    const [plan, planS] = await timed(() =>
      execa(h2k, ['plan', dir, '-out', join(dir, 'plan.json'), '--no-color'], { reject: false, env: keys.env }),
    );
    const [apply, applyS] = await timed(() =>
      execa(h2k, ['apply', join(dir, 'plan.json'), '--no-color'], { reject: false, env: keys.env }),
    );
    const converted = plan.exitCode === 0 && apply.exitCode === 0;
    const vm = converted ? (JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')).vms['vm.g'] as VmPlan) : undefined;
    const h2kBoots = vm
      ? await boots(
          vm,
          vm.outputs.disks.map((d) => join(dir, d.path)),
          'qcow2',
          join(dir, 'boot-h2k'),
          f,
        )
      : 'n/a';
    const v2vDir = mkdtempSync(join(tmpdir(), 'h2k-bench-v2v-'));
    const uefi = vm?.facts.guest?.firmware === 'uefi';
    const [v2v, v2vS] = await timed(() =>
      // No terminal: where virt-v2v finds several roots it asks which to convert, and waits on stdin.
      execa(
        'virt-v2v',
        [
          ...(f.v2vArgs ?? []),
          ...keys.v2vArgs,
          ...v2vInput(fixture, f.disks, uefi),
          ...['-o', 'local', '-os', v2vDir, '-of', 'qcow2'],
        ],
        {
          env: GUESTFS,
          stdin: 'ignore',
          reject: false,
        },
      ),
    );
    const v2vOk = v2v.exitCode === 0;
    const v2vImages = readdirSync(v2vDir)
      .filter((n) => !n.endsWith('.xml'))
      .sort()
      .map((n) => join(v2vDir, n));
    const v2vBoots = v2vOk && vm ? await boots(vm, v2vImages, 'qcow2', join(v2vDir, 'boot'), f) : 'n/a';
    const roots = /Enter a number between 1 and (\d+)/.exec(v2v.stdout + v2v.stderr)?.[1];
    const why = v2vOk
      ? 'yes'
      : roots
        ? `no: asks which of ${roots} roots to convert`
        : `no: ${(v2v.stderr.split('\n').find((l) => /error/i.test(l)) ?? '').trim().slice(0, 100)}`;
    const h2kS = planS + applyS;
    const ratio = converted && v2vOk ? (h2kS / v2vS).toFixed(2) : 'n/a';
    const h2kWhy = converted ? 'yes' : `no: ${(apply.stderr || plan.stderr).trim().split('\n').pop()}`;
    rows.push(
      `${f.name} | ${h2kWhy} | ${h2kBoots} | ${h2kS.toFixed(1)} | ${why} | ${v2vBoots} | ${v2vS.toFixed(1)} | ${ratio}`,
    );
  }
  out["matrix (h2k plan + apply with boot test off vs virt-v2v; then h2k's boot test on each output)"] =
    `\n    ${rows.join('\n    ')}`;
  return out;
}
