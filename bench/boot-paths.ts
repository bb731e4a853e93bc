// VALIDATE's boot test through libvirtd (the shipped domain, transient) against qemu started
// directly (the fallback where no libvirtd answers), on the same converted Debian fixture, in the
// same run, alternating (libvirt, qemu, qemu, libvirt) so drift in the host's load falls on both.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { bootTest } from '../src/executors/boot-test.js';
import { prepareBootOverlays } from '../src/guests/boot.js';
import { familyForGuest } from '../src/guests/registry.js';
import type { Plan } from '../src/model/plan.js';

export async function benchBootPaths(repo: string): Promise<Record<string, unknown>> {
  await execa('bash', [join(repo, 'scripts/start-libvirtd.sh')]);
  const fixture = (await execa('bash', [join(repo, 'test/fixtures/build-debian-guest.sh')])).stdout
    .trim()
    .split('\n')
    .pop()!;
  const dir = mkdtempSync(join(tmpdir(), 'h2k-bench-boot-'));
  writeFileSync(
    join(dir, 'main.h2k.hcl'),
    `source "local" "fx" {\n  directory = "${fixture}"\n}\n` +
      `policy "p" {\n  output_dir = "./out"\n  boot_test  = false\n}\n` +
      `vm "debian" {\n  source = source.local.fx\n  disks  = ["debian-vmware-sparse.vmdk"]\n  policy = policy.p\n` +
      `  memory = 1024\n}\n`,
  );
  const h2k = join(repo, 'bin/h2k');
  await execa(h2k, ['plan', dir, '-out', join(dir, 'plan.json'), '--no-color'], { reject: false });
  await execa(h2k, ['apply', join(dir, 'plan.json'), '--no-color']);
  const vm = (JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as Plan).vms['vm.debian'];
  const guest = vm.facts.guest!;
  const family = familyForGuest(guest);
  const boot = async (via: 'libvirt' | 'qemu', n: number) => {
    // No libvirtd answers a socket that does not exist.
    const uri = via === 'qemu' ? `qemu:///system?socket=${join(dir, 'none.sock')}` : undefined;
    const before = process.env.LIBVIRT_DEFAULT_URI;
    if (uri) process.env.LIBVIRT_DEFAULT_URI = uri;
    try {
      return await bootTest({
        machine: {
          name: 'debian',
          disks: [join(dir, vm.outputs.disks[0].path)],
          format: vm.outputs.disks[0].format,
          hw: vm.facts.hardware,
        },
        evidence: family.boot,
        prepare: (layers) => prepareBootOverlays(layers, guest),
        ...(vm.network ? { network: vm.network } : {}),
        timeoutSec: 900,
        workDir: join(dir, `${via}-${n}`),
      });
    } finally {
      if (uri) {
        if (before === undefined) delete process.env.LIBVIRT_DEFAULT_URI;
        else process.env.LIBVIRT_DEFAULT_URI = before;
      }
    }
  };
  const seconds: Record<string, number[]> = { libvirt: [], qemu: [] };
  for (const [n, via] of (['libvirt', 'qemu', 'qemu', 'libvirt'] as const).entries()) {
    const v = await boot(via, n);
    if (!v.passed || !v.via.startsWith(via)) throw new Error(`boot ${n} (${via}): ${v.via}: ${v.failure ?? 'passed'}`);
    seconds[via].push(v.seconds);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const [l, q] = [mean(seconds.libvirt), mean(seconds.qemu)];
  return {
    'boot test through libvirtd, s (each)': seconds.libvirt.map((s) => s.toFixed(1)).join(', '),
    'boot test through qemu directly, s (each)': seconds.qemu.map((s) => s.toFixed(1)).join(', '),
    'libvirt / qemu (means)': (l / q).toFixed(2),
  };
}
