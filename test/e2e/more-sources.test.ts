// The Debian fixture (D) reached three more ways, planned and applied together: an OVA the test
// exports the way vSphere does (streamOptimized disk, OVF, SHA256 manifest), the same guest on an
// "ESXi" host over SSH (a real OpenSSH server with a datastore tree: not ESXi, no vim-cmd), and a
// VHDX of it as Hyper-V or Azure would hand it over, planned together. What a source decides is how
// the disk is reached and fetched; from the fetched disk on, the stages do what they do for a local
// VMDK. So all three are applied `-until inspect` and each VM's overlay must read as the fixture's
// disk, every sector; then the OVA's VM (the source with most steps of its own: extract, manifest,
// streamOptimized) is applied on and held to the run's shared conversion of D (shared-debian.ts),
// which booted: the same FIX plan and guest content, instead of three more FIXes and a boot of the
// guest the shared conversion already converted.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { workspace } from '../../src/executors/workspace.js';
import { fileSha256 } from '../../src/util/files.js';
import { debianFixture } from '../fixtures/debian-guest.js';
import { makeOvfPackage, streamOptimizedDisk } from '../fixtures/ova.js';
import { SSH_USER, type Sshd, esxiVm, startSshd } from '../fixtures/sshd.js';
import { h2k, tempDir, writeConfig } from '../helpers.js';
import { fixedPaths, guestContents } from './kill-anywhere.js';
import { debianConversion } from './shared-debian.js';

const OVA_MAC = '00:50:56:8a:40:01';
const ESXI_MAC = '00:50:56:8a:40:02';
const VMS = ['vm.exported', 'vm.on_esxi', 'vm.from_hyperv'];

describe('OVA, ESXi over SSH and VHDX sources to converted outputs (real fixture)', { timeout: 60 * 60_000 }, () => {
  let sshd: Sshd;
  let dir: string;
  let plan: { stdout: string; stderr: string; exitCode?: number };
  const sources: Record<string, { file: string; sha: string }> = {};
  let streamSha: string;
  let fixtureFlat: string;
  const env = () => ({ H2K_VAR_esxi_password: sshd.password });

  before(async () => {
    const fixture = await debianFixture();
    const work = tempDir('h2k-sources-');
    const stream = join(work, 'stream.vmdk');
    const vhdx = join(work, 'hyperv', 'debian.vhdx');
    await execa('mkdir', ['-p', join(work, 'hyperv')]);
    const sparse = join(fixture, 'debian-vmware-sparse.vmdk');
    fixtureFlat = join(fixture, 'debian-vmware.vmdk');
    await Promise.all([
      streamOptimizedDisk(sparse, stream),
      execa('qemu-img', ['convert', '-f', 'vmdk', '-O', 'vhdx', sparse, vhdx]),
    ]);
    streamSha = await fileSha256(stream);
    const ova = await makeOvfPackage(join(work, 'export'), stream, {
      name: 'exported',
      mac: OVA_MAC,
      ova: true,
      capacityBytes: 2 * 2 ** 30,
    });
    sshd = await startSshd();
    const vmDir = esxiVm(sshd.datastores, {
      ds: 'datastore1',
      name: 'web03',
      flat: join(fixture, 'debian-vmware-flat.vmdk'),
      sectors: 4194304,
      mac: ESXI_MAC,
      uuid: '42 3a 1b 2c 3d 4e 5f 60-71 82 93 a4 b5 c6 d7 e9',
    });
    sources.exported = { file: ova, sha: await fileSha256(ova) };
    sources.on_esxi = { file: join(vmDir, 'web03-flat.vmdk'), sha: await fileSha256(join(vmDir, 'web03-flat.vmdk')) };
    sources.from_hyperv = { file: vhdx, sha: await fileSha256(vhdx) };
    dir = writeConfig({
      'main.h2k.hcl': `variable "esxi_password" {
  type      = string
  sensitive = true
}

source "ova" "exports" {
  path = "${ova}"
}

source "esxi" "host" {
  host           = "127.0.0.1"
  port           = ${sshd.port}
  username       = "${SSH_USER}"
  password       = var.esxi_password
  host_key       = "${sshd.hostKey}"
  datastore_root = "${sshd.datastores}"
}

source "local" "hyperv" {
  directory = "${join(work, 'hyperv')}"
}

policy "p" {
  output_dir = "./out"
  boot_test  = false
}

vm "exported" {
  source = source.ova.exports
  policy = policy.p
}

vm "on_esxi" {
  source = source.esxi.host
  name   = "web03"
  policy = policy.p
}

vm "from_hyperv" {
  source = source.local.hyperv
  disks  = ["debian.vhdx"]
  policy = policy.p
}
`,
    });
    plan = await h2k(['plan', dir, '-out', join(dir, 'plan.json'), '--no-color'], { env: env() });
  });
  after(async () => sshd?.stop());

  it('plans all three, inspecting the OVA and the ESXi disks without copying them', () => {
    assert.equal(plan.exitCode, 0, plan.stderr);
    assert.match(plan.stdout, /kvm: 2 vCPU, 1024 MiB, bios, virtio 00:50:56:8a:40:01 \(VM Network\)/);
    assert.match(plan.stdout, /kvm: 2 vCPU, 1024 MiB, bios, virtio 00:50:56:8a:40:02 \(VM Network\)/);
    assert.match(plan.stdout, /disk debian\.vhdx: 2\.0 GiB virtual/);
    const read = (vm: string) => {
      const re = new RegExp(`vm\\.${vm}: inspected in [\\d.]+ s, ([\\d.]+) MiB read remotely \\(([\\d.]+) %`);
      const m = re.exec(plan.stderr);
      assert.ok(m, `${vm}: ${plan.stderr}`);
      return { mib: Number(m[1]), pct: Number(m[2]) };
    };
    // Three guests, -parallelism 2: two launches, one of them shared by two VMs.
    assert.equal(plan.stderr.match(/: inspected in .*; one launch for 2 VMs/g)?.length, 2, plan.stderr);
    const esxi = read('on_esxi');
    const ova = read('exported');
    assert.ok(esxi.pct <= 2, `the ESXi plan read ${esxi.pct} % of the disk`);
    // The OVA's disk is compressed (226 MiB for the same guest), so the same reads (superblocks,
    // directories, the initramfs) are a larger share of it: the bytes, not the share, must match.
    assert.ok(ova.mib <= 1.5 * esxi.mib, `the OVA plan read ${ova.mib} MiB, the ESXi plan ${esxi.mib} MiB`);
    assert.ok(ova.pct <= 10, `the OVA plan read ${ova.pct} % of the archive's disk`);
    const p = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8'));
    assert.equal(p.vms['vm.from_hyperv'].facts.disks[0].format, 'vhdx');
    assert.doesNotMatch(readFileSync(join(dir, 'plan.json'), 'utf8'), new RegExp(sshd.password));
  });

  it('apply -until inspect: each disk fetched as its source says, each the guest D is, byte for byte', async () => {
    const r = await h2k(['apply', join(dir, 'plan.json'), '-until', 'inspect', '--no-color'], { env: env() });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /Apply stopped after INSPECT as asked \(-until\): 3 VM\(s\)/);
    assert.match(
      r.stderr,
      new RegExp(
        String.raw`vm\.exported: fetch: done in [\d.]+ s \(1 disk\(s\) extracted, \d+ MiB in [\d.]+ s, ` +
          String.raw`verified against the sha256 manifest\)`,
      ),
    );
    assert.match(r.stderr, /vm\.on_esxi: fetch: done in [\d.]+ s \(2 file\(s\), 2048 MiB over SSH/);
    assert.doesNotMatch(r.stderr, /: (plan|fix|convert|validate): /);
    const state = JSON.parse(readFileSync(join(dir, '.h2k', 'state.json'), 'utf8'));
    for (const vm of VMS)
      assert.deepEqual(
        Object.keys(state.vms[vm].stages).sort(),
        vm === 'vm.from_hyperv' ? ['flatten', 'inspect'] : ['fetch', 'flatten', 'inspect'],
      );
    // The fetched disks are the bytes the sources hold, read back from the workspace.
    const fetched = async (vm: string, name: RegExp) => {
      const out = state.vms[vm].stages.fetch.outputs.find((o: { path: string }) => name.test(o.path));
      assert.ok(out, `${vm}: ${JSON.stringify(state.vms[vm].stages.fetch.outputs)}`);
      return fileSha256(join(dir, out.path));
    };
    assert.equal(await fetched('vm.exported', /\.vmdk$/), streamSha, 'the OVA disk extracted is not the one exported');
    assert.equal(await fetched('vm.on_esxi', /-flat\.vmdk$/), sources.on_esxi.sha, 'the ESXi flat extent differs');
    // What FIX, CONVERT and VALIDATE start from: each VM's overlay over its fetched chain reads as the
    // fixture's disk, every sector (so the rest of the stages is the run's shared conversion's).
    const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8'));
    for (const vm of VMS) {
      const [overlay] = workspace(dir, join(dir, '.h2k'), vm, plan.vms[vm].outputs).overlays;
      const cmp = await execa('qemu-img', ['compare', '-f', 'qcow2', '-F', 'vmdk', overlay, fixtureFlat], {
        reject: false,
      });
      assert.equal(cmp.exitCode, 0, `${vm}: its overlay is not the fixture's disk: ${cmp.stdout}${cmp.stderr}`);
    }
  });

  it("a plan goes on at PLAN, launching nothing; the OVA VM applied on is the shared conversion's guest", async () => {
    const next = await h2k(['plan', dir, '-out', join(dir, 'next.json'), '--no-color'], { env: env() });
    assert.equal(next.exitCode, 0, next.stderr);
    for (const vm of VMS)
      assert.match(
        next.stderr,
        new RegExp(`${vm.replace('.', '\\.')}: the source is unchanged since its inspection .*: no launch`),
      );
    const p = JSON.parse(readFileSync(join(dir, 'next.json'), 'utf8'));
    for (const vm of VMS)
      assert.deepEqual(
        p.vms[vm].actions.map((a: { stage: string }) => a.stage),
        ['plan', 'fix', 'convert', 'validate'],
        vm,
      );
    const r = await h2k(['apply', dir, '-target', 'vm.exported', '-auto-approve', '--no-color'], { env: env() });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.doesNotMatch(
      r.stderr,
      /vm\.exported: (fetch|flatten|inspect): /,
      'the VM redid a stage -until recorded done',
    );
    assert.match(r.stderr, /vm\.exported: validate: done in [\d.]+ s/);
    const state = JSON.parse(readFileSync(join(dir, '.h2k', 'state.json'), 'utf8'));
    const shared = await debianConversion();
    assert.deepEqual(fixedPaths(p, 'vm.exported'), shared.paths, 'FIX plans other edits');
    const out = state.vms['vm.exported'].stages.convert.outputs[0];
    const [content] = await guestContents([join(dir, out.path)], shared.paths);
    assert.deepEqual(content, shared.content, "not the guest the run's shared conversion booted");
    assert.equal(out.sha256, await fileSha256(join(dir, out.path)), 'the output changed');
    for (const [vm, s] of Object.entries(sources))
      assert.equal(await fileSha256(s.file), s.sha, `${vm}: apply wrote to the source`);
    for (const f of [join(dir, '.h2k', 'state.json'), join(dir, 'next.json')])
      assert.doesNotMatch(readFileSync(f, 'utf8'), new RegExp(sshd.password));
    assert.doesNotMatch(r.stderr + r.stdout, new RegExp(sshd.password));
  });

  it('and then only the two VMs stopped by -until have changes', async () => {
    const r = await h2k(['plan', dir, '-out', join(dir, 'last.json'), '--no-color'], { env: env() });
    assert.equal(r.exitCode, 0, r.stderr);
    const p = JSON.parse(readFileSync(join(dir, 'last.json'), 'utf8'));
    const pending = VMS.filter((vm) => p.vms[vm].actions.length);
    assert.deepEqual(pending, ['vm.on_esxi', 'vm.from_hyperv']);
  });
});
