// OVA and ESXi-over-SSH figures from the real Debian fixture, each next to a peer in the same run:
// - plan-time inspection: bytes read from the package / host vs the disks' allocated bytes
//   (target ≤ 2 %, like vSphere's);
// - OVA FETCH (extract the disk member, hashed against the manifest) vs `tar -x` of the same member;
// - ESXi FETCH (h2k's SFTP download, hashed, resumable) vs OpenSSH's `sftp` and `scp` of the same
//   file from the same server (OpenSSH's sshd on loopback standing in for ESXi).
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
import { timed } from './timed.js';

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
        const [, h2kFetch] = await timed(() =>
          fetchEsxiVm({
            session,
            planned: vm.facts,
            vmx,
            disks: facts.disks,
            fingerprint: facts.fingerprint,
            dir: dest,
            configDir: dest,
            onStep: () => undefined,
            onProgress: () => undefined,
          }),
        );
        const ssh = [
          '-q',
          '-i',
          sshd.clientKey,
          '-o',
          'StrictHostKeyChecking=no',
          '-o',
          'UserKnownHostsFile=/dev/null',
        ];
        const [, sftpSec] = await timed(() =>
          execa('sftp', [...ssh, '-P', String(sshd.port), `${SSH_USER}@127.0.0.1:${flat}`, join(dest, 'sftp.bin')]),
        );
        const [, scpSec] = await timed(() =>
          execa('scp', [...ssh, '-P', String(sshd.port), `${SSH_USER}@127.0.0.1:${flat}`, join(dest, 'scp.bin')]),
        );
        const mibps = (s: number) => `${(size / 2 ** 20 / s).toFixed(0)} MiB/s`;
        out['esxi fetch'] =
          `${(size / 2 ** 20).toFixed(0)} MiB: h2k ${h2kFetch.toFixed(1)} s (${mibps(h2kFetch)}, with sha256), ` +
          `sftp ${sftpSec.toFixed(1)} s (${mibps(sftpSec)}), scp ${scpSec.toFixed(1)} s (${mibps(scpSec)}); ` +
          `ratio vs sftp ${(h2kFetch / sftpSec).toFixed(2)}, vs scp ${(h2kFetch / scpSec).toFixed(2)}`;
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
