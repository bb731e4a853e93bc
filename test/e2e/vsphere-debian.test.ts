// vSphere end to end against a real vcsim with the real Debian fixture uploaded as a VM's disk:
// plan with remote inspection (golden, normalised; a snapshot-chain VM too), vcsim killed
// mid-plan, h2k killed mid-fetch, vcsim killed mid-fetch, then a run that resumes the download
// where it stopped and is stopped by SIGTERM in FIX (a clean stop: 143, FIX recorded interrupted,
// the lock released, no helper left), and one that redoes FIX and goes on to a boot test that
// passes, held to the run's shared conversion as kill-anywhere's runs are. The password never
// appears in any process's argv (sampled from /proc during the whole run) nor in any file h2k
// wrote; the source in the datastore is never written.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileSha256 } from '../../src/util/files.js';
import { h2k, writeConfig } from '../helpers.js';
import { debianFixture } from '../fixtures/debian-guest.js';
import { LAB_SOURCE, VC_PASSWORD, type Vcsim, createFixtureVm, startVcsim } from '../fixtures/vcsim.js';
import { golden, normalise } from '../golden.js';
import { killedAt, unlock } from './interrupt.js';
import { checkFinished, helpersOf, signalledApply } from './kill-anywhere.js';
import { debianConversion } from './shared-debian.js';

const CONFIG = `${LAB_SOURCE}policy "p" {
  output_dir   = "./out"
  boot_timeout = 900
}

vm "debian" {
  source = source.vsphere.lab
  name   = "debian"
  policy = policy.p
}

vm "chain" {
  source = source.vsphere.lab
  path   = "/DC0/vm/chain"
  policy = policy.p
}
`;

/** Every command line seen in /proc while the run goes on that contains the password, except
 *  vcsim's own (the test gives the simulator its password on its command line). A process is read
 *  during its first second (a forked child shows its parent's argv until it execs), not for its whole
 *  life: reading every process's cmdline every 20 ms for the whole file cost a good part of a core. */
function watchArgv(secret: string): { leaks: Set<string>; samples: () => number; stop: () => void } {
  const leaks = new Set<string>();
  let samples = 0;
  let reads = new Map<string, number>();
  const t = setInterval(() => {
    samples++;
    const next = new Map<string, number>();
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      const n = (reads.get(pid) ?? 0) + 1;
      next.set(pid, n);
      if (n > 50) continue;
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
        if (argv.includes(secret) && !argv.split('\0')[0].endsWith('/vcsim')) leaks.add(argv.replace(/\0/g, ' '));
      } catch {
        // the process ended between readdir and read
      }
    }
    reads = next;
  }, 20);
  return { leaks, samples: () => samples, stop: () => clearInterval(t) };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
}

describe('vSphere source end to end against vcsim (real fixture, real tools)', { timeout: 40 * 60_000 }, () => {
  let fixture: string;
  let fixtureSha: string;
  // Figures of the fixture as built today (Debian's packages change its size): read, never written down.
  let fixtureBytes: number;
  let fixtureMiB: string;
  let vc: Vcsim;
  let dir: string;
  const argv = watchArgv(VC_PASSWORD);
  const env = () => ({ H2K_VAR_vc_url: vc.url, H2K_VAR_vc_password: VC_PASSWORD });
  const partial = () => join(dir, '.h2k', 'fetch', 'debian', 'disk0', 'debian.vmdk.partial');
  const partialSize = () => (existsSync(partial()) ? statSync(partial()).size : 0);

  /** vcsim keeps its inventory in memory: a restarted one gets the same VMs uploaded again. */
  async function bringUp(): Promise<void> {
    vc = await startVcsim();
    await createFixtureVm(vc, 'debian', {
      upload: [[join(fixture, 'debian-vmware-sparse.vmdk'), 'debian.vmdk']],
      nics: 2,
    });
    await createFixtureVm(vc, 'chain', {
      upload: [
        [join(fixture, 'chain', 'base-000001.vmdk'), 'chain.vmdk'],
        [join(fixture, 'chain', 'base.vmdk'), 'base.vmdk'],
      ],
      guestId: 'otherLinux64Guest',
    });
  }

  async function datastoreFile(path: string): Promise<string> {
    const info = JSON.parse((await vc.govc(['datastore.info', '-json', 'LocalDS_0'])).stdout);
    return join(info.Datastores[0].Info.Url, path);
  }

  before(async () => {
    fixture = await debianFixture();
    fixtureSha = await fileSha256(join(fixture, 'debian-vmware-sparse.vmdk'));
    fixtureBytes = statSync(join(fixture, 'debian-vmware-sparse.vmdk')).size;
    fixtureMiB = (fixtureBytes / 2 ** 20).toFixed(0);
    await bringUp();
    dir = writeConfig({ 'main.h2k.hcl': CONFIG });
  });
  after(async () => {
    argv.stop();
    await vc?.stop();
  });

  it('plan reads the disks remotely (no download) and shows the same guest fixes as for a local disk', async () => {
    const r = await h2k(['plan', dir, '-out', join(dir, 'all.json'), '-detailed-exitcode', '--no-color'], {
      env: env(),
    });
    assert.equal(r.exitCode, 2, r.stderr);
    const host = vc.url.replace(/^https:\/\//, '').replace(/\/sdk$/, '');
    const norm = (t: string) =>
      normalise(t, fixture, dir)
        .replaceAll(host, '<host>')
        .replace(/00:0c:29(:[0-9a-f]{2}){3}/g, '<vmware-mac>');
    golden('vsphere-debian.plan.txt', norm(r.stdout));
    const plan = JSON.parse(readFileSync(join(dir, 'all.json'), 'utf8'));
    const debian = plan.vms['vm.debian'];
    const chain = plan.vms['vm.chain'];
    assert.deepEqual(
      debian.actions.map((a: { stage: string }) => a.stage),
      ['fetch', 'flatten', 'inspect', 'plan', 'fix', 'convert', 'validate'],
    );
    // The chain VM's disk is a sparse delta on a base read through two nbdkit processes.
    assert.deepEqual(
      chain.facts.disks[0].chain.map((l: { file: string }) => l.file),
      ['chain.vmdk', 'base.vmdk'],
    );
    assert.ok(chain.findings.some((f: { code: string }) => f.code === 'snapshot-chain'));
    const edits = (vm: { actions: { stage: string; edits?: unknown }[] }) =>
      JSON.stringify(vm.actions.find((a) => a.stage === 'fix')?.edits);
    assert.equal(edits(chain), edits(debian), 'the delta changes nothing the fixes depend on');
    // Hardware from the inventory: both NICs with their VMware MACs, firmware, CPUs, memory.
    const inv = debian.facts.source.inventory;
    assert.equal(inv.nics.length, 2);
    assert.deepEqual(
      debian.facts.hardware.nics.map((n: { mac: string }) => n.mac),
      inv.nics.map((n: { mac: string }) => n.mac),
    );
    assert.deepEqual(
      [debian.facts.hardware.firmware, debian.facts.hardware.cpus, debian.facts.hardware.memory_mib],
      ['bios', 2, 1024],
    );
    // Remote inspection read a small part of the disk, and nothing was downloaded.
    const read = new RegExp(
      `vm\\.debian: inspected in [\\d.]+ s, ([\\d.]+) MiB read remotely \\(([\\d.]+) % of ${fixtureMiB} MiB ` +
        `allocated\\)`,
    ).exec(r.stderr);
    assert.ok(read, r.stderr);
    assert.ok(Number(read[2]) < 10, `remote inspection read ${read[2]} % of the disk`);
    assert.ok(!existsSync(join(dir, '.h2k', 'fetch')), 'plan downloaded something');
  });

  it('vcsim killed mid-plan: one line naming the endpoint, and the next run recovers', async () => {
    const run = h2k(['plan', dir, '-target', 'vm.debian', '--no-color'], { env: env() });
    let seen = '';
    run.stderr!.on('data', (b: Buffer) => (seen += b.toString()));
    while (!/reading disks and inspecting/.test(seen)) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 5000)); // nbdkit serving, the appliance booting from it
    await vc.stop();
    const r = await run;
    assert.equal(r.exitCode, 1);
    assert.match(
      r.stderr,
      /^Error: source\.vsphere\.lab: cannot reach https:\/\/127\.0\.0\.1:\d+: .*(connection refused|ECONNREFUSED)/m,
    );
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    await bringUp();
  });

  it(
    'fetch killed (h2k), then cut off (vcsim), then resumed from the byte where it stopped: identical bytes; ' +
      'SIGTERM in FIX stops cleanly; the next apply ends it and the VM boots',
    async () => {
      const planFile = join(dir, 'plan.json');
      const p = await h2k(['plan', dir, '-target', 'vm.debian', '-out', planFile, '--no-color'], { env: env() });
      assert.equal(p.exitCode, 0, p.stderr);

      await killedAt(['apply', planFile], /fetch: downloading/, {
        env: env(),
        poll: () => partialSize() > 150 * 2 ** 20,
        dir,
      });
      const afterKill = partialSize();
      assert.ok(afterKill > 0 && afterKill < fixtureBytes, `a partial download remains (${afterKill} bytes)`);
      await unlock(dir, env());

      // Now the server goes away mid-download.
      const child = h2k(['apply', dir, '-target', 'vm.debian', '-auto-approve', '--no-color'], { env: env() });
      while (partialSize() < afterKill + 100 * 2 ** 20) await new Promise((r) => setTimeout(r, 20));
      await vc.stop();
      const cut = await child;
      assert.equal(cut.exitCode, 1);
      const downloading = `fetch: downloading [LocalDS_0] debian/debian.vmdk (${fixtureMiB} MiB, resuming at `;
      assert.ok(cut.stderr.includes(downloading), cut.stderr);
      assert.match(
        cut.stderr,
        new RegExp(
          `^Error: vm\\.debian: fetch failed: source\\.vsphere\\.lab: lost the connection to ` +
            `https://127\\.0\\.0\\.1:\\d+ after \\d+ of ${fixtureBytes} bytes of debian\\.vmdk\n {2}hint: run ` +
            `h2k apply again once it is reachable: the download resumes from the byte where it stopped\n`,
          'm',
        ),
      );
      const state = JSON.parse(readFileSync(join(dir, '.h2k', 'state.json'), 'utf8'));
      assert.equal(state.vms['vm.debian'].stages.fetch.status, 'failed');
      assert.equal((await h2k(['audit', 'verify', dir])).exitCode, 0, 'the audit chain is intact');
      const beforeResume = partialSize();
      assert.ok(beforeResume > afterKill);

      await bringUp();
      const sourceFile = await datastoreFile('debian/debian.vmdk');
      const sourceSha = await fileSha256(sourceFile);
      assert.equal(sourceSha, fixtureSha);
      // The download resumes, and SIGTERM stops the run in FIX: a clean stop.
      const stopped = await signalledApply(dir, env(), 'SIGTERM', /fix: run update-initramfs/, [
        '-target',
        'vm.debian',
      ]);
      assert.equal(stopped.code, 143, stopped.stderr);
      assert.match(stopped.stderr, /SIGTERM: stopping \(the stages in progress are recorded as interrupted/);
      const resumed = new RegExp(
        `fetch: done in [\\d.]+ s \\(1 file\\(s\\), ${fixtureMiB} MiB in [\\d.]+ s, resumed after (\\d+) MiB\\)`,
      ).exec(stopped.stderr);
      assert.ok(resumed, stopped.stderr);
      assert.ok(
        Math.abs(Number(resumed[1]) - beforeResume / 2 ** 20) <= 1,
        `resumed at ${resumed[1]} MiB, where it stopped (${beforeResume} bytes)`,
      );
      assert.equal(
        await fileSha256(join(dir, '.h2k', 'fetch', 'debian', 'disk0', 'debian.vmdk')),
        fixtureSha,
        'the resumed download is byte-identical to the source',
      );
      const fix = JSON.parse(readFileSync(join(dir, '.h2k', 'state.json'), 'utf8')).vms['vm.debian'].stages.fix;
      assert.deepEqual([fix.status, fix.error], ['interrupted', 'interrupted by SIGTERM']);
      assert.ok(!existsSync(join(dir, '.h2k', 'state.lock')), 'the lock was not released');
      assert.deepEqual(await helpersOf(dir), [], 'helpers outlived h2k');

      // The next apply needs no unlock: it redoes FIX and goes on to a boot test that passes.
      const r = await h2k(['apply', dir, '-target', 'vm.debian', '-auto-approve', '--no-color'], { env: env() });
      assert.equal(r.exitCode, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /fetch: /, 'the finished download was fetched again');
      assert.match(
        r.stderr,
        new RegExp(
          String.raw`validate: done in [\d.]+ s \(boot test passed in \d+ s \(libvirt, \w+\): default target, root` +
            String.raw` read-write, fstab mounted, network 10\.0\.2\.15 \(DHCP lease\)\)`,
        ),
      );

      const fetchRec = JSON.parse(readFileSync(join(dir, '.h2k', 'state.json'), 'utf8')).vms['vm.debian'].stages.fetch;
      assert.deepEqual(
        fetchRec.outputs.map((o: { path: string; size: number; sha256: string }) => [o.path, o.size, o.sha256]),
        [['.h2k/fetch/debian/disk0/debian.vmdk', fixtureBytes, fixtureSha]],
      );
      const inv = JSON.parse((await vc.govc(['vm.info', '-json', 'debian'])).stdout).VirtualMachines[0];
      const macs = inv.Config.Hardware.Device.filter((d: { MacAddress?: string }) => d.MacAddress).map(
        (d: { MacAddress: string }) => d.MacAddress,
      );
      const xml = readFileSync(join(dir, 'out', 'debian.xml'), 'utf8');
      assert.deepEqual(
        [...xml.matchAll(/<mac address="([^"]+)"\/>/g)].map((m) => m[1]),
        macs,
        'both NICs keep their MACs, in order',
      );
      assert.doesNotMatch(xml, /firmware="efi"/, 'a BIOS VM stays BIOS');
      assert.match(xml, /<vcpu>2<\/vcpu>/);
      assert.match(xml, /<memory unit="MiB">1024<\/memory>/);
      assert.equal(await fileSha256(sourceFile), sourceSha, 'the source in the datastore was written');
      // Held to an uninterrupted conversion of the same disk (the run's shared one), as kill-anywhere is.
      const { content, paths } = await debianConversion();
      const vm = { vm: 'vm.debian', slug: 'debian', sourceFile };
      assert.deepEqual(await checkFinished(vm, dir, { content, paths, sourceSha }), []);
    },
  );

  it('a second plan says no changes', async () => {
    const r = await h2k(['plan', dir, '-target', 'vm.debian', '-detailed-exitcode', '--no-color'], { env: env() });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /No changes\./);
  });

  it('the password reached no argv and no file h2k wrote', () => {
    argv.stop();
    assert.ok(argv.samples() > 100, `sampled /proc ${argv.samples()} times`);
    assert.deepEqual([...argv.leaks], []);
    for (const f of filesUnder(dir)) {
      if (statSync(f).size > 64 * 2 ** 20) continue; // disk images: not text h2k wrote
      assert.ok(!readFileSync(f, 'latin1').includes(VC_PASSWORD), `${f} contains the password`);
    }
  });
});
