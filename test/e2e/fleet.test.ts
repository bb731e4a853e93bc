// A fleet on a real private Postgres: two real Debian guests (two of the fixture's variants) planned
// once, then applied by two `h2k worker` processes through `apply -workers`. The first
// worker is killed with SIGKILL in the middle of FIX; the other worker takes that VM once its job
// expires and resumes it at the first stage not recorded done. The result must equal a local apply
// of the same disk (the run's shared conversion), every stage must be recorded in Postgres with the
// host that ran it, and the audit chain must verify.
//
// One apply serves a second subject too: vm.vmware_left is the Debian guest the way VMware and its
// installer leave it, not the way our fixers would like it — no serial console anywhere, the NIC
// known only by its VMware name ens192, and its MAC set by `hwaddress ether` in
// /etc/network/interfaces. Its boot test (in a worker) must pass on evidence a real guest gives (a
// probe in a throwaway overlay and the NIC's traffic, not the console or the MAC QEMU gave the NIC),
// and the plan must say that the guest claims the VMware MAC. That it does not boot unfixed is
// vmware-left-unfixed.test.ts.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dhcpAcks } from '../../src/executors/net-capture.js';
import { fileSha256 } from '../../src/util/files.js';
import { debianFixture } from '../fixtures/debian-guest.js';
import { type PrivatePostgres, startPostgres } from '../fixtures/postgres.js';
import { golden, normalise } from '../golden.js';
import { H2K, h2k, writeConfig } from '../helpers.js';
import { debianConversion } from './shared-debian.js';
import { convertIsByteIdentical, fixedPaths, guestContent, leftovers } from './kill-anywhere.js';

const DISKS = {
  by_path: 'debian-vmware-sparse.vmdk',
  vmware_left: 'debian-hwaddr-sparse.vmdk',
};
const VMS = Object.keys(DISKS).map((k) => `vm.${k}`);
const VMWARE_MAC = '00:50:56:8a:12:34';
const STAGES = ['flatten', 'inspect', 'plan', 'fix', 'convert', 'validate'];

function config(fixture: string, extra = ''): string {
  const vm = (name: keyof typeof DISKS) => `vm "${name}" {
  source = source.local.fx
  disks  = ["${DISKS[name]}"]
  policy = ${name === 'vmware_left' ? 'policy.boot' : 'policy.p'}
  memory = 1024
}
`;
  return `variable "pg_conn" {
  type      = string
  sensitive = true
}

backend "pg" {
  conn_str = var.pg_conn
}

source "local" "fx" {
  directory = "${fixture}"
}

policy "p" {
  output_dir = "./out"
  boot_test  = false
}

policy "boot" {
  extends      = policy.p
  boot_test    = true
  boot_timeout = 900
}

${Object.keys(DISKS)
  .map((k) => vm(k as keyof typeof DISKS))
  .join('\n')}${extra}`;
}

interface Worker {
  child: ChildProcess;
  log(): string;
  exited: Promise<number | null>;
}

function worker(dir: string, env: Record<string, string>): Worker {
  // Its own process group, so SIGKILL reaches the appliance it runs too, as a host going down does.
  const child = spawn(H2K, ['worker', dir, '-idle-exit', '90s', '--no-color'], {
    detached: true,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  return { child, log: () => log, exited };
}

async function until(what: string, test: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe(
  'a fleet: two workers on Postgres, one killed mid-stage; a guest as VMware left it',
  { timeout: 40 * 60_000 },
  () => {
    let pg: PrivatePostgres;
    let fixture: string;
    let dir: string;
    let env: Record<string, string>;
    let shas: Record<string, string>;
    let killedVm: string;
    let first: Worker;
    let second: Worker;
    let applying: ReturnType<typeof h2k> | undefined;

    before(async () => {
      pg = await startPostgres();
      fixture = await debianFixture();
      env = { H2K_VAR_pg_conn: pg.url };
      dir = writeConfig({ 'main.h2k.hcl': config(fixture) });
      shas = Object.fromEntries(
        await Promise.all(Object.values(DISKS).map(async (d) => [d, await fileSha256(join(fixture, d))] as const)),
      );
    });
    after(async () => {
      for (const child of [first?.child, second?.child, applying])
        if (child && child.exitCode === null && child.signalCode === null)
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            // already gone
          }
      await pg?.stop();
    });

    it('plans the two VMs against the Postgres state; the hwaddress pin is kept and said', async () => {
      // -parallelism 1: one launch for both (with 2, each would have its own).
      const r = await h2k(['plan', dir, '-out', join(dir, 'plan.json'), '-parallelism', '1', '--no-color'], { env });
      assert.equal(r.exitCode, 0, r.stderr);
      golden('fleet.plan.txt', normalise(r.stdout, fixture, dir));
      // Two variants of one disk (ext4 clones: same UUIDs, which do not mix up their guests) in one
      // launch; the golden above was made with a launch each.
      assert.equal(r.stderr.match(/: inspected in [\d.]+ s; one launch for 2 VMs/g)?.length, 2, r.stderr);
      assert.match(r.stdout, /Plan: 2 VM\(s\), 12 action\(s\)/);
      assert.match(r.stdout, /-allow-hotplug ens192\n\s+\+auto \/e\*\/1=ens192/);
      assert.match(
        r.stdout,
        /warning \[guest-mac-pinned\] \/etc\/network\/interfaces sets the NIC's MAC to 00:50:56:8a:12:34 \(hwaddress\)/,
      );
      // No nics block: the KVM NIC gets a MAC h2k derives, and the guest overrides it with its own.
      const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8'));
      assert.match(plan.vms['vm.vmware_left'].facts.hardware.nics[0].mac, /^52:54:00:/);
    });

    it('a worker whose configuration differs from the plan refuses its jobs, naming both hashes', async () => {
      const other = writeConfig({ 'main.h2k.hcl': config(fixture, '\npolicy "unused" {\n}\n') });
      const w = worker(other, env);
      const r = await h2k(['apply', join(dir, 'plan.json'), '-workers', '--no-color'], { env });
      process.kill(-w.child.pid!, 'SIGTERM');
      await w.exited;
      assert.equal(r.exitCode, 1);
      for (const vm of VMS)
        assert.match(
          r.stderr,
          new RegExp(
            `Error: ${vm}: flatten failed: the worker's configuration is sha256:[0-9a-f]{64}, the plan's ` +
              `sha256:[0-9a-f]{64} \\(on \\S+\\)\\n {2}hint: run every worker with the configuration the plan ` +
              `was made from`,
          ),
        );
      // Refused jobs record nothing: the same plan is still not stale.
      assert.equal(await pg.sql('SELECT count(*) FROM h2k.vm_stages'), '0');
    });

    it('one of two workers killed in FIX, Postgres restarted: the other resumes its VM, apply completes', async () => {
      first = worker(dir, env);
      const run = h2k(['apply', join(dir, 'plan.json'), '-workers', '-job-expiry', '15s', '--no-color'], {
        env,
        detached: true,
      });
      applying = run;
      await until('the first worker to start FIX', () => /^vm\.\w+: fix: started$/m.test(first.log()), 300_000);
      killedVm = /^(vm\.\w+): fix: started$/m.exec(first.log())![1];
      second = worker(dir, env);
      // Well into FIX: the appliance is up and editing the overlay.
      await until('FIX to write', () => new RegExp(`^${killedVm}: fix: write `, 'm').test(first.log()), 300_000);
      process.kill(-first.child.pid!, 'SIGKILL');
      await first.exited;

      // Meanwhile a second apply of the same plan is refused, naming the one that holds the lock.
      const rival = await h2k(['apply', join(dir, 'plan.json'), '-workers', '--no-color'], { env });
      assert.equal(rival.exitCode, 1);
      assert.match(rival.stderr, /Error: the state in postgres:\/\/h2k@\S+ \(schema h2k\) is locked by apply by /);

      // And Postgres restarts under the running apply and worker: both reconnect, the run goes on.
      await pg.restart();

      const r = await run;
      assert.equal(r.exitCode, 0, `${r.stderr}\n--- second worker:\n${second.log()}`);
      assert.match(r.stdout, /Apply complete: 2 VM\(s\) converted\./);
      // The apply showed the fleet's progress, the boot test included, which passed on evidence a real
      // guest gives; the lease went to the MAC the guest set itself, not the one QEMU gave the NIC.
      assert.match(
        r.stderr,
        new RegExp(
          String.raw`vm\.vmware_left: validate: done in [\d.]+ s \(boot test passed in \d+ s \(libvirt, \w+\): ` +
            String.raw`default target, root read-write, fstab mounted, network 10\.0\.2\.15 \(DHCP lease\)\)`,
        ),
      );
      const acks = dhcpAcks(readFileSync(join(dir, '.h2k', 'work', 'vmware_left', 'boot-net.pcap')));
      assert.ok(
        acks.some((a) => a.mac === VMWARE_MAC),
        JSON.stringify(acks),
      );
      const log = second.log();
      assert.match(log, new RegExp(`^${killedVm}: taken \\(job `, 'm'));
      assert.match(log, new RegExp(`^${killedVm}: plan: done in 0\\.0 s \\(recorded done by `, 'm'));
      assert.match(log, new RegExp(`^${killedVm}: fix: started$`, 'm'));
      assert.match(log, new RegExp(`^${killedVm}: converted$`, 'm'));
    });

    it('every stage of every VM is recorded in Postgres with its host, and the audit chain verifies', async () => {
      const rows = await pg.sql(
        "SELECT vm || ' ' || stage || ' ' || status || ' ' || (host IS NOT NULL) FROM h2k.vm_stages ORDER BY 1",
      );
      const want = VMS.flatMap((vm) => STAGES.map((s) => `${vm} ${s} done true`)).sort();
      assert.deepEqual(rows.split('\n').sort(), want);
      const v = await h2k(['audit', 'verify', dir], { env });
      assert.equal(v.exitCode, 0, v.stderr);
      assert.match(v.stdout, /^ok: \d+ audit record\(s\), chain intact\.\n$/);
      const again = await h2k(['plan', dir, '-target', killedVm, '--no-color'], { env });
      assert.match(again.stdout, /No changes\. 1 VM\(s\) match the configuration\./);
    });

    it("the resumed VM's output equals a local apply's (the run's shared conversion of the same disk)", async () => {
      // Workers take the VMs in the plan's order, so the first worker's first FIX is by_path's: the
      // disk the shared conversion (local-debian's subject) converted without interruption.
      assert.equal(killedVm, 'vm.by_path', "the first job taken was not the plan's first VM");
      const local = await debianConversion();
      const paths = fixedPaths(JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')), killedVm);
      assert.deepEqual(paths, local.paths, 'FIX plans other edits than for the shared conversion');
      assert.deepEqual(await guestContent(join(dir, 'out', 'by_path.qcow2'), paths), local.content);
      assert.ok(await convertIsByteIdentical(dir, 'by_path'), 'CONVERT differs from converting the fixed overlay');
    });

    it('nothing is left running or mounted, no source was written, the boot test left the output alone', async () => {
      assert.deepEqual(await leftovers(dir), []);
      const row = await pg.sql("SELECT result FROM h2k.vm_stages WHERE vm = 'vm.vmware_left' AND stage = 'convert'");
      const out = JSON.parse(row).outputs[0];
      assert.equal(out.sha256, await fileSha256(join(dir, out.path)), 'the boot test changed the output');
      for (const [disk, sha] of Object.entries(shas)) assert.equal(await fileSha256(join(fixture, disk)), sha, disk);
    });
  },
);
