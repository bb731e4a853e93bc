// OVA and ESXi-over-SSH figures from the real Debian fixture, each next to a peer in the same run:
// - plan-time inspection: bytes read from the package / host vs the disks' allocated bytes
//   (target ≤ 2 %, like vSphere's);
// - OVA FETCH (extract the disk member, hashed against the manifest) vs `tar -x` of the same member;
// - ESXi FETCH (h2k's download through OpenSSH's `ssh`, hashed, resumable) vs OpenSSH's `sftp` and
//   `scp` of the same file from the same server (OpenSSH's sshd on loopback standing in for ESXi).
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { fetchEsxiVm } from '../src/providers/esxi/fetch.js';
import { readVm } from '../src/providers/esxi/inventory.js';
import { EsxiSession } from '../src/providers/esxi/ssh.js';
import { esxiDiskFacts } from '../src/providers/esxi/vm-facts.js';
import { fetchPackage } from '../src/providers/ova/fetch.js';
import { openPackage } from '../src/providers/ova/package.js';
import { debianFixture } from '../test/fixtures/debian-guest.js';
import { makeOvfPackage, streamOptimizedDisk } from '../test/fixtures/ova.js';
import { SSH_USER, esxiSource, esxiVm, startSshd } from '../test/fixtures/sshd.js';
import { median, timed } from './timed.js';

const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));

/** Plans one vm block with inspection and returns the read-remotely percentage h2k reports. */
async function planRead(repo: string, hcl: string, env: Record<string, string> = {}): Promise<string> {
  const dir = tmp('h2k-bench-src-');
  writeFileSync(join(dir, 'main.h2k.hcl'), hcl);
  const r = await execa(join(repo, 'bin/h2k'), ['plan', dir, '--no-color'], { env, reject: false });
  const m = /([\d.]+) MiB read remotely \(([\d.]+) % of (\d+) MiB allocated\)/.exec(r.stderr);
  if (!m) throw new Error(`plan did not report its reads: ${r.stderr}`);
  return `${m[1]} MiB of ${m[3]} MiB allocated (${m[2]} %)`;
}

export async function benchSources(repo: string): Promise<Record<string, unknown>> {
  const fixture = await debianFixture();
  const work = tmp('h2k-bench-sources-');
  const out: Record<string, unknown> = {};
  try {
    const stream = join(work, 'stream.vmdk');
    await streamOptimizedDisk(join(fixture, 'debian-vmware-sparse.vmdk'), stream);
    const ova = await makeOvfPackage(join(work, 'export'), stream, {
      name: 'web',
      mac: '00:50:56:8a:50:01',
      ova: true,
      capacityBytes: 2 * 2 ** 30,
    });
    out['ova plan read'] = await planRead(
      repo,
      `source "ova" "x" {\n  path = "${ova}"\n}\nvm "web" {\n  source = source.ova.x\n}\n`,
    );
    const pkg = await openPackage(ova);
    const member = statSync(stream).size;
    const a = tmp('h2k-bench-x-');
    const [, h2kSec] = await timed(() =>
      fetchPackage({
        pkg,
        hrefs: ['web-disk1.vmdk'],
        dir: a,
        configDir: a,
        onStep: () => undefined,
        onProgress: () => undefined,
      }),
    );
    const b = tmp('h2k-bench-x-');
    const [, tarSec] = await timed(() => execa('tar', ['-xf', ova, '-C', b, 'web-disk1.vmdk']));
    out['ova extract'] =
      `${(member / 2 ** 20).toFixed(0)} MiB member: h2k ${h2kSec.toFixed(2)} s (sha256 + manifest check), ` +
      `tar -x ${tarSec.toFixed(2)} s, ratio ${(h2kSec / tarSec).toFixed(2)}`;
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });

    const sshd = await startSshd();
    try {
      const vmDir = esxiVm(sshd.datastores, {
        ds: 'datastore1',
        name: 'web',
        flat: join(fixture, 'debian-vmware-flat.vmdk'),
        sectors: 4194304,
        mac: '00:50:56:8a:50:02',
        uuid: '42 00 00 50',
      });
      out['esxi plan read'] = await planRead(
        repo,
        `variable "pw" {\n  type      = string\n  sensitive = true\n}\nsource "esxi" "h" {\n  host = "127.0.0.1"\n` +
          `  port = ${sshd.port}\n  username = "${SSH_USER}"\n  password = var.pw\n  host_key = "${sshd.hostKey}"\n` +
          `  datastore_root = "${sshd.datastores}"\n}\nvm "web" {\n  source = source.esxi.h\n  name = "web"\n}\n`,
        { H2K_VAR_pw: sshd.password },
      );
      const source = esxiSource(sshd, 'source.esxi.bench');
      const session = await EsxiSession.connect(source);
      const flat = join(vmDir, 'web-flat.vmdk');
      const size = statSync(flat).size;
      const dest = tmp('h2k-bench-sftp-');
      try {
        const vmx = join(vmDir, 'web.vmx');
        const vm = await readVm(session, vmx);
        const facts = await esxiDiskFacts(session, vm);
        const ssh = [
          '-q',
          '-i',
          sshd.clientKey,
          '-o',
          'StrictHostKeyChecking=no',
          '-o',
          'UserKnownHostsFile=/dev/null',
        ];
        const from = `${SSH_USER}@127.0.0.1:${flat}`;
        // Three rounds, the three copies taking turns (this machine's speed drifts): medians.
        const runs: Record<'h2k' | 'sftp' | 'scp', number[]> = { h2k: [], sftp: [], scp: [] };
        for (let round = 0; round < 3; round++) {
          const into = tmp('h2k-bench-fetch-');
          const [, h2kSec] = await timed(() =>
            fetchEsxiVm({
              session,
              planned: vm.facts,
              vmx,
              disks: facts.disks,
              fingerprint: facts.fingerprint,
              dir: into,
              configDir: into,
              onStep: () => undefined,
              onProgress: () => undefined,
            }),
          );
          rmSync(into, { recursive: true, force: true });
          runs.h2k.push(h2kSec);
          const [, sftpSec] = await timed(() =>
            execa('sftp', [...ssh, '-P', String(sshd.port), from, join(dest, 'sftp.bin')]),
          );
          runs.sftp.push(sftpSec);
          const [, scpSec] = await timed(() =>
            execa('scp', [...ssh, '-P', String(sshd.port), from, join(dest, 'scp.bin')]),
          );
          runs.scp.push(scpSec);
          rmSync(join(dest, 'sftp.bin'));
          rmSync(join(dest, 'scp.bin'));
        }
        const [h2kFetch, sftpSec, scpSec] = [median(runs.h2k), median(runs.sftp), median(runs.scp)];
        const mibps = (s: number) => `${(size / 2 ** 20 / s).toFixed(0)} MiB/s`;
        const all = (xs: number[]) => xs.map((x) => x.toFixed(1)).join('/');
        out['esxi fetch'] =
          `${(size / 2 ** 20).toFixed(0)} MiB, medians of 3: h2k ${h2kFetch.toFixed(1)} s (${mibps(h2kFetch)}, with ` +
          `sha256), sftp ${sftpSec.toFixed(1)} s (${mibps(sftpSec)}), scp ${scpSec.toFixed(1)} s (${mibps(scpSec)}); ` +
          `ratio vs the faster ${(h2kFetch / Math.min(sftpSec, scpSec)).toFixed(2)} (target <= 1.1); ` +
          `runs h2k ${all(runs.h2k)}, sftp ${all(runs.sftp)}, scp ${all(runs.scp)}`;
      } finally {
        session.close();
        rmSync(dest, { recursive: true, force: true });
      }
    } finally {
      await sshd.stop();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return out;
}
