// vSphere figures against vcsim, each next to a peer measured in the same run:
// - control-plane plan (-inspect=false) of 1000 discovered VMs: wall time and govc processes,
//   against govc's own floor (one vm.info -json of the whole folder) and against 100 VMs;
// - the same at fleet scale (10,500 VMs: -cluster 20 -host 1 -vm 500), with peak memory (GNU time);
// - remote inspection: bytes nbdkit read for the plan vs the disk's allocated bytes;
// - fetch: h2k's Range-resumable download of the fixture vs curl of the same URL.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { timed } from './timed.js';
import { DatastoreClient } from '../src/providers/vsphere/datastore.js';
import { Sensitive } from '../src/schema/values.js';
import { findTool } from '../src/tools/locate.js';
import { VC_PASSWORD, VC_USER, createFixtureVm, startVcsim } from '../test/fixtures/vcsim.js';

function configDir(url: string, vmBlock: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'h2k-bench-vs-'));
  writeFileSync(
    join(dir, 'main.h2k.hcl'),
    `variable "pw" {\n  type      = string\n  sensitive = true\n}\nsource "vsphere" "lab" {\n  url        = ` +
      `"${url}"\n  username   = "${VC_USER}"\n  password   = var.pw\n  insecure   = true\n  datacenter = ` +
      `"DC0"\n}\npolicy "p" {\n  allow_power_off = true\n  boot_test       = false\n}\n${vmBlock}`,
  );
  return dir;
}

/** Peak resident memory (MiB) and wall time of a command, from GNU time. */
async function measured(cmd: string, args: string[], env: Record<string, string> = {}) {
  const [r, seconds] = await timed(() =>
    execa('/usr/bin/time', ['-f', 'peak-kb %M', cmd, ...args], { env, reject: false, maxBuffer: 1 << 30 }),
  );
  if (r.exitCode !== 0) throw new Error(`${cmd} failed: ${r.stderr.slice(-2000)}`);
  const kb = Number(/peak-kb (\d+)/.exec(r.stderr)?.[1] ?? NaN);
  return { r, seconds, peakMiB: kb / 1024 };
}

async function controlPlane(
  repo: string,
  vmsPerHost: number,
  clusters = 1,
): Promise<{ vms: number; seconds: number; govc: number; floor: number; peakMiB: number; floorPeakMiB: number }> {
  // VMs = (clusters + standalone hosts) × -vm: clusters of one host each, plus the standalone host.
  const vc = await startVcsim(['-cluster', String(clusters), '-host', '1', '-vm', String(vmsPerHost)]);
  try {
    const dir = configDir(
      vc.url,
      'vm "fleet" {\n  source   = source.vsphere.lab\n  policy   = policy.p\n  discover = { name = "*" }\n}\n',
    );
    const plan = await measured(join(repo, 'bin/h2k'), ['plan', dir, '-inspect=false', '--json', '--debug'], {
      H2K_VAR_pw: VC_PASSWORD,
    });
    const vms = Object.keys(JSON.parse(plan.r.stdout).vms).length;
    const govc = Number(/govc processes: (\d+)/.exec(plan.r.stderr)?.[1] ?? NaN);
    // The floor: the one govc call that returns the same facts for every VM.
    const floor = await measured(findTool('govc')!, ['vm.info', '-json', '/DC0/vm/*'], {
      GOVC_URL: vc.url,
      GOVC_USERNAME: VC_USER,
      GOVC_PASSWORD: VC_PASSWORD,
      GOVC_INSECURE: 'true',
    });
    rmSync(dir, { recursive: true, force: true });
    return {
      vms,
      seconds: plan.seconds,
      govc,
      floor: floor.seconds,
      peakMiB: plan.peakMiB,
      floorPeakMiB: floor.peakMiB,
    };
  } finally {
    await vc.stop();
  }
}

export async function benchVsphere(repo: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const small = await controlPlane(repo, 50);
  const large = await controlPlane(repo, 500);
  out['control-plane plan, VMs'] = `${small.vms} / ${large.vms}`;
  out['control-plane plan, seconds'] =
    `${small.seconds.toFixed(2)} / ${large.seconds.toFixed(2)} (target for 1000: ≤ 10)`;
  out['control-plane plan, govc processes'] = `${small.govc} / ${large.govc} (target: constant)`;
  out['govc floor (vm.info -json of the folder), seconds'] = `${small.floor.toFixed(2)} / ${large.floor.toFixed(2)}`;
  out['ratio h2k plan / govc floor (1000 VMs)'] = (large.seconds / large.floor).toFixed(2);
  out['ratio 1000 VMs / 100 VMs'] = (large.seconds / small.seconds).toFixed(2);
  const fleet = await controlPlane(repo, 500, 20);
  out['fleet plan (-inspect=false), VMs'] = fleet.vms;
  out['fleet plan, seconds: h2k / vm.info -json of all'] = `${fleet.seconds.toFixed(1)} / ${fleet.floor.toFixed(1)}`;
  out['ratio fleet plan / vm.info -json (target ≤ 1.0)'] = (fleet.seconds / fleet.floor).toFixed(2);
  out['fleet peak memory MiB: h2k plan / govc vm.info'] =
    `${fleet.peakMiB.toFixed(0)} / ${fleet.floorPeakMiB.toFixed(0)}`;

  const fixture = (await execa('bash', [join(repo, 'test/fixtures/build-debian-guest.sh')])).stdout
    .trim()
    .split('\n')
    .pop()!;
  const vc = await startVcsim();
  try {
    await createFixtureVm(vc, 'debian', { upload: [[join(fixture, 'debian-vmware-sparse.vmdk'), 'debian.vmdk']] });
    const dir = configDir(
      vc.url,
      'vm "debian" {\n  source = source.vsphere.lab\n  name   = "debian"\n  policy = policy.p\n}\n',
    );
    const plan = await execa(join(repo, 'bin/h2k'), ['plan', dir, '--no-color'], {
      env: { H2K_VAR_pw: VC_PASSWORD },
      reject: false,
    });
    const read = /([\d.]+) MiB read remotely \(([\d.]+) % of (\d+) MiB allocated\)/.exec(plan.stderr);
    out['remote inspection, MiB read / allocated'] = read
      ? `${read[1]} / ${read[3]} = ${read[2]} % (target ≤ 2 %)`
      : `plan failed: ${plan.stderr.slice(-500)}`;

    const url = `${new URL(vc.url).origin}/folder/debian/debian.vmdk?dcPath=DC0&dsName=LocalDS_0`;
    const size = statSync(join(fixture, 'debian-vmware-sparse.vmdk')).size;
    const tmp = mkdtempSync(join(tmpdir(), 'h2k-bench-fetch-'));
    const curl = findTool('curl');
    const rounds = 3;
    let h2kS = 0;
    let curlS = 0;
    for (let i = 0; i < rounds; i++) {
      const client = new DatastoreClient({
        type: 'vsphere',
        address: 'source.vsphere.bench',
        url: vc.url,
        username: VC_USER,
        password: new Sensitive(VC_PASSWORD),
        insecure: true,
      });
      const [, s] = await timed(() => client.download(url, join(tmp, `h2k-${i}.vmdk`), { size }));
      client.close();
      h2kS += s;
      // curl reads its credentials from stdin (-K -), not argv.
      const [, c] = await timed(() =>
        execa(curl!, ['-sSfk', '-K', '-', '-o', join(tmp, `curl-${i}.vmdk`), url], {
          input: `user = "${VC_USER}:${VC_PASSWORD}"\n`,
        }),
      );
      curlS += c;
      rmSync(join(tmp, `h2k-${i}.vmdk`));
      rmSync(join(tmp, `curl-${i}.vmdk`));
    }
    const mib = size / 2 ** 20;
    out['fetch MiB/s, h2k (incl. sha256) / curl'] =
      `${((mib * rounds) / h2kS).toFixed(0)} / ${((mib * rounds) / curlS).toFixed(0)}`;
    out['ratio fetch time h2k / curl'] = (h2kS / curlS).toFixed(2);
    rmSync(tmp, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  } finally {
    await vc.stop();
  }
  return out;
}
