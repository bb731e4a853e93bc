// The esxi source against a real OpenSSH server on loopback standing in for an ESXi host (not
// ESXi: no vim-cmd, so VMs are found by listing the datastores). Planned through the real CLI;
// no test here starts an appliance (e2e/esxi-key-login.test.ts inspects a chain over SFTP).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { fetchEsxiVm } from '../../src/providers/esxi/fetch.js';
import { readVm } from '../../src/providers/esxi/inventory.js';
import { EsxiSession } from '../../src/providers/esxi/ssh.js';
import { esxiDiskFacts } from '../../src/providers/esxi/vm-facts.js';
import { fileSha256 } from '../../src/util/files.js';
import { SSH_USER, type Sshd, esxiSource, esxiVm, startSshd } from '../fixtures/sshd.js';
import { h2k, tempDir, unwatched, writeConfig } from '../helpers.js';

const MAC = '00:50:56:8a:33:01';

function esxiConfig(sshd: Sshd, opts: { auth?: string; pin?: string; vm?: string } = {}): string {
  return writeConfig({
    'main.h2k.hcl': `variable "esxi_password" {
  type      = string
  sensitive = true
}

source "esxi" "host" {
  host           = "127.0.0.1"
  port           = ${sshd.port}
  username       = "${SSH_USER}"
  ${opts.auth ?? 'password       = var.esxi_password'}
  ${opts.pin ?? `host_key       = "${sshd.hostKey}"`}
  datastore_root = "${sshd.datastores}"
}

vm "app" {
  source = source.esxi.host
  ${opts.vm ?? 'name   = "app01"'}
}
`,
  });
}

describe('esxi source over SSH (OpenSSH standing in for ESXi)', () => {
  let sshd: Sshd;
  let env: Record<string, string>;
  const source = () => esxiSource(sshd);

  before(async () => {
    sshd = await startSshd();
    env = { H2K_VAR_esxi_password: sshd.password };
    // Random bytes: a resume that lands on the wrong byte must show in the copy's checksum.
    const flat = join(tempDir(), 'app01-flat.bin');
    writeFileSync(flat, randomBytes(16 * 2 ** 20));
    esxiVm(sshd.datastores, { ds: 'datastore1', name: 'app01', flat, sectors: 32768, mac: MAC, uuid: '42 00 00 01' });
    const hostile = esxiVm(sshd.datastores, {
      ds: 'datastore2',
      name: 'evil01',
      flat,
      sectors: 32768,
      mac: MAC,
      uuid: '42 00 00 02',
    });
    const vmdk = join(hostile, 'evil01.vmdk');
    writeFileSync(
      vmdk,
      readFileSync(vmdk, 'utf8').replace('"evil01-flat.vmdk"', '"../../datastore1/app01/app01-flat.vmdk"'),
    );
    const running = esxiVm(sshd.datastores, {
      ds: 'datastore1',
      name: 'db01',
      flat,
      sectors: 32768,
      mac: MAC,
      uuid: '42 00 00 03',
    });
    writeFileSync(join(running, 'db01.vmx.lck'), '');
    writeFileSync(
      join(running, 'db01.vmsd'),
      '.encoding = "UTF-8"\nsnapshot.numSnapshots = "1"\nsnapshot0.displayName = "before-upgrade"\n',
    );
  });
  after(async () => sshd?.stop());

  it('finds the VM by listing the datastores and reads its hardware from the .vmx', async () => {
    const dir = esxiConfig(sshd);
    const r = await h2k(['plan', dir, '-out', join(dir, 'plan.json'), '-inspect=false', '--no-color'], { env });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stderr, /3 VM\(s\) found by a datastore listing/);
    assert.match(r.stdout, /kvm: 2 vCPU, 1024 MiB, bios, virtio 00:50:56:8a:33:01 \(VM Network\)/);
    const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8'));
    const src = plan.vms['vm.app'].facts.source;
    assert.equal(src.path, '[datastore1] app01/app01.vmx');
    // The CD-ROM on sata0:0 is not a disk.
    assert.deepEqual(
      src.disks.map((d: { file: string }) => d.file),
      ['app01.vmdk'],
    );
    assert.doesNotMatch(readFileSync(join(dir, 'plan.json'), 'utf8'), new RegExp(sshd.password));
  });

  it('refuses an unknown host key in one line that names both keys', async () => {
    const wrong = 'SHA256:' + 'A'.repeat(43);
    const r = await h2k(['plan', esxiConfig(sshd, { pin: `host_key = "${wrong}"` }), '-inspect=false', '--no-color'], {
      env,
    });
    assert.equal(r.exitCode, 1);
    assert.match(
      r.stderr,
      new RegExp(
        `the host key of 127\\.0\\.0\\.1:${sshd.port} is ${sshd.hostKey.replace(/[+/]/g, '\\$&')}, ` +
          `not the pinned ${wrong}`,
      ),
    );
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  it('refuses a wrong password in one line, without echoing it', async () => {
    const r = await h2k(['plan', esxiConfig(sshd), '-inspect=false', '--no-color'], {
      env: { H2K_VAR_esxi_password: 'not-the-password' },
    });
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, new RegExp(`${SSH_USER}@127\\.0\\.0\\.1:${sshd.port} refused the password`));
    assert.doesNotMatch(r.stderr, /not-the-password/);
  });

  it('an unpinned host key without insecure = true is a configuration error', async () => {
    const r = await h2k(['validate', esxiConfig(sshd, { pin: '' }), '--no-color'], { env });
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /Unpinned host key/);
    assert.match(r.stderr, /main\.h2k\.hcl:\d+:\d+/);
  });

  it('refuses an extent path that leaves the disk directory before any tool reads it', async () => {
    const r = await h2k(['plan', esxiConfig(sshd, { vm: 'name = "evil01"' }), '--no-color'], { env });
    assert.equal(r.exitCode, 1);
    assert.match(
      r.stderr,
      /extent path "\.\.\/\.\.\/datastore1\/app01\/app01-flat\.vmdk" in \[datastore2\] evil01\/evil01\.vmdk leaves/,
    );
  });

  it('reports a running VM (its .vmx.lck) as critical and its snapshots', async () => {
    const r = await h2k(
      ['plan', esxiConfig(sshd, { vm: 'path = "[datastore1] db01/db01.vmx"' }), '-inspect=false', '--no-color'],
      {
        env,
      },
    );
    assert.match(r.stdout, /CRITICAL \[source-powered-on\] \[datastore1\] db01\/db01\.vmx is running/);
    assert.match(r.stdout, /\[snapshots-present\] .*1 snapshot\(s\) \(before-upgrade\)/);
  });

  it('FETCH resumes a partial download from its last whole MiB, byte-identical', async () => {
    const session = await EsxiSession.connect(source());
    try {
      const vmx = join(sshd.datastores, 'datastore1', 'app01', 'app01.vmx');
      const vm = await readVm(session, vmx);
      const facts = await esxiDiskFacts(session, vm);
      const dir = tempDir();
      const flat = join(sshd.datastores, 'datastore1', 'app01', 'app01-flat.vmdk');
      mkdirSync(join(dir, 'disk0'));
      writeFileSync(join(dir, 'disk0', 'app01-flat.vmdk.partial'), readFileSync(flat).subarray(0, 5_000_000));
      const input = { session, planned: vm.facts, vmx, disks: facts.disks, fingerprint: facts.fingerprint, dir };
      const r = await fetchEsxiVm({ ...input, configDir: dir, ...unwatched });
      assert.equal(r.details.resumed_from, 4 * 2 ** 20);
      assert.equal(await fileSha256(join(dir, 'disk0', 'app01-flat.vmdk')), await fileSha256(flat));
      const out = r.outputs.find((o) => o.path.endsWith('app01-flat.vmdk'))!;
      assert.equal(out.sha256, await fileSha256(flat));
      assert.ok(!existsSync(join(dir, 'disk0', 'app01-flat.vmdk.partial')));
    } finally {
      session.close();
    }
  });

  /** Fetches app01 into a new directory with `source`'s login; the copy's path. */
  async function fetchApp01(src: ReturnType<typeof esxiSource>, session?: EsxiSession): Promise<string> {
    const s = session ?? (await EsxiSession.connect(src));
    try {
      const vmx = join(sshd.datastores, 'datastore1', 'app01', 'app01.vmx');
      const vm = await readVm(s, vmx);
      const facts = await esxiDiskFacts(s, vm);
      const dir = tempDir();
      const input = { session: s, planned: vm.facts, vmx, disks: facts.disks, fingerprint: facts.fingerprint, dir };
      await fetchEsxiVm({ ...input, configDir: dir, ...unwatched });
      return join(dir, 'disk0', 'app01-flat.vmdk');
    } finally {
      if (!session) s.close();
    }
  }
  const app01Flat = () => join(sshd.datastores, 'datastore1', 'app01', 'app01-flat.vmdk');

  it("FETCH hands OpenSSH's client no secret: not in its argv, not in its environment", async () => {
    const seen: string[] = [];
    let sampling = true;
    const sample = (async () => {
      while (sampling) {
        for (const e of readdirSync('/proc').filter((p) => /^\d+$/.test(p)))
          try {
            // The environment first: a process that exits between the two reads has an empty environ
            // as a zombie, and an empty cmdline too, which leaves it out (seen once under Node 24).
            const environ = readFileSync(`/proc/${e}/environ`, 'utf8');
            const argv = readFileSync(`/proc/${e}/cmdline`, 'utf8');
            if (!/(^|\/)ssh\0/.test(argv) || !argv.includes(String(sshd.port))) continue;
            seen.push(argv + environ);
          } catch {
            // gone meanwhile
          }
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const copy = await fetchApp01(source());
    sampling = false;
    await sample;
    assert.equal(await fileSha256(copy), await fileSha256(app01Flat()));
    assert.ok(seen.length > 0, 'no ssh process was seen');
    for (const s of seen) {
      assert.ok(!s.includes(sshd.password), 'the password is in an ssh process');
      assert.match(s, /SSH_ASKPASS=/);
    }
    const askpassDirs = new Set(seen.map((s) => /SSH_ASKPASS=(\/[^\0]+)\/askpass/.exec(s)![1]));
    for (const d of askpassDirs) assert.ok(!existsSync(d), `${d} is left`);
  });

  it('FETCH logs in with a private key; OpenSSH refusing a key others may read is one line with the fix', async () => {
    const { password: _pw, ...withoutPassword } = source();
    const keyed = { ...withoutPassword, private_key_file: sshd.clientKey };
    assert.equal(await fileSha256(await fetchApp01(keyed)), await fileSha256(app01Flat()));
    const loose = join(tempDir(), 'loose_key');
    writeFileSync(loose, readFileSync(sshd.clientKey), { mode: 0o644 });
    chmodSync(loose, 0o644);
    // ssh2 (the control connection) takes the key; OpenSSH does not.
    const e = await fetchApp01({ ...keyed, private_key_file: loose }).then(
      () => undefined,
      (err: Error) => err,
    );
    assert.ok(e, 'FETCH took a private key file that others may read');
    assert.match(e.message, /OpenSSH refuses private_key_file .*loose_key: others may read it$/);
    assert.match((e as { hint?: string }).hint ?? '', /^chmod 600 /);
  });

  it('FETCH refuses a host whose key is not the one the session verified (another machine there)', async () => {
    const other = await startSshd();
    const session = await EsxiSession.connect(source());
    try {
      // The address now answers with another host key: what a reinstalled or impostor host looks like
      // between the control connection's check and FETCH's own connection.
      (session.source as { port: number }).port = other.port;
      const e = await fetchApp01(source(), session).then(
        () => undefined,
        (err: Error) => err,
      );
      assert.ok(e, "FETCH read from a host whose key is not the session's");
      assert.match(e.message, /the host key of 127\.0\.0\.1:\d+ is no longer the one this session verified/);
    } finally {
      session.close();
      await other.stop();
    }
  });

  it('the host going away mid-FETCH: one line naming it; the next FETCH resumes where it stopped', async () => {
    const big = join(tempDir(), 'big-flat.bin');
    await execa('truncate', ['-s', '1G', big]);
    const vmDir = esxiVm(sshd.datastores, {
      ds: 'datastore3',
      name: 'big01',
      flat: big,
      sectors: 2097152,
      mac: MAC,
      uuid: '42 00 00 09',
    });
    const vmx = join(vmDir, 'big01.vmx');
    const dir = tempDir();
    const fetchOnce = async () => {
      const session = await EsxiSession.connect(source());
      try {
        const vm = await readVm(session, vmx);
        const facts = await esxiDiskFacts(session, vm);
        const input = { session, planned: vm.facts, vmx, disks: facts.disks, fingerprint: facts.fingerprint, dir };
        return await fetchEsxiVm({ ...input, configDir: dir, ...unwatched });
      } finally {
        session.close();
      }
    };
    // Settled into a value at once: it fails while the test is still crashing the server.
    const first = fetchOnce().then(
      () => undefined,
      (e: Error) => e,
    );
    const partial = join(dir, 'disk0', 'big01-flat.vmdk.partial');
    while (!existsSync(partial) || statSync(partial).size < 64 * 2 ** 20) await new Promise((r) => setTimeout(r, 50));
    await sshd.crash();
    const e = await first;
    assert.ok(e, 'FETCH finished although the server was killed');
    assert.match(e.message, new RegExp(`the connection to 127\\.0\\.0\\.1:${sshd.port} was lost while reading`));
    assert.doesNotMatch(e.message, /\n/);
    await sshd.restart();
    const r = await fetchOnce();
    assert.ok(Number(r.details.resumed_from) >= 64 * 2 ** 20, JSON.stringify(r.details));
    assert.equal(await fileSha256(join(dir, 'disk0', 'big01-flat.vmdk')), await fileSha256(big));
  });

  it('names the VMs it has when a name matches none', async () => {
    const r = await h2k(['plan', esxiConfig(sshd, { vm: 'name = "app02"' }), '-inspect=false', '--no-color'], { env });
    assert.equal(r.exitCode, 1);
    assert.match(
      r.stderr,
      /No VM with name "app02" on 127\.0\.0\.1\. Its VMs: app01 \(\[datastore1\] app01\/app01\.vmx\)/,
    );
  });
});
