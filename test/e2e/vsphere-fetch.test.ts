// FETCH and the remote chain on small real VMDKs in a real vcsim: a powered-on VM is shut down
// through govc only when the policy allows it; a descriptor + extent disk and a sparse delta chain
// are copied file by file with their sha256; a descriptor naming a file outside its directory is
// refused before anything reads it.
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { createServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { fetchVm } from '../../src/providers/vsphere/fetch.js';
import { fileSha256 } from '../../src/util/files.js';
import { DatastoreClient } from '../../src/providers/vsphere/datastore.js';
import { inventoryFacts, virtualMachines } from '../../src/providers/vsphere/inventory.js';
import { openRemoteDisks } from '../../src/providers/vsphere/remote-disk.js';
import { remoteDiskFacts } from '../../src/providers/vsphere/vm-facts.js';
import { policyDefaults } from '../../src/schema/config-schema.js';
import type { VsphereSourceConfig } from '../../src/providers/vsphere/config.js';
import { Sensitive } from '../../src/schema/values.js';
import { h2k, tempDir, unwatched, writeConfig } from '../helpers.js';
import { VC_PASSWORD, VC_USER, type Vcsim, startVcsim, vmCreate } from '../fixtures/vcsim.js';

describe('vSphere FETCH and remote chains against vcsim (small real VMDKs)', { timeout: 5 * 60_000 }, () => {
  let vc: Vcsim;
  let source: VsphereSourceConfig;
  const local = tempDir('h2k-vmdk-');

  /** A VM whose disk (and the disk's other files) are replaced by local files. */
  async function vmWith(name: string, files: [string, string][], on: boolean): Promise<void> {
    await vmCreate(vc, name, [`-on=${on}`, '-g', 'debian11_64Guest', '-disk', '16MB']);
    for (const [file, remote] of files) await vc.govc(['datastore.upload', file, `${name}/${remote}`]);
  }

  async function inventory(name: string) {
    return inventoryFacts(
      virtualMachines(JSON.parse((await vc.govc(['vm.info', '-json', name])).stdout))[0],
      `/DC0/vm/${name}`,
    );
  }

  /** What a plan records about the VM's disks: chain facts and fingerprint, read remotely. */
  async function planned(name: string, create?: [string, string][]) {
    if (create) await vmWith(name, create, false);
    const http = new DatastoreClient(source);
    try {
      const inv = await inventory(name);
      return { inventory: inv, ...(await remoteDiskFacts(http, inv)) };
    } finally {
      http.close();
    }
  }

  before(async () => {
    vc = await startVcsim();
    source = {
      type: 'vsphere',
      address: 'source.vsphere.lab',
      url: vc.url,
      username: VC_USER,
      password: new Sensitive(VC_PASSWORD),
      insecure: true,
      datacenter: 'DC0',
    };
    // Real VMDKs written by qemu-img, with data in them: a sparse base, a delta on it, a flat disk.
    const base = join(local, 'base.vmdk');
    await execa('qemu-img', ['create', '-q', '-f', 'vmdk', base, '16M']);
    await execa('qemu-io', ['-f', 'vmdk', '-c', 'write -P 0x5a 0 1M', base]);
    await execa(
      'qemu-img',
      ['create', '-q', '-f', 'vmdk', '-F', 'vmdk', '-b', 'base.vmdk', join(local, 'delta.vmdk')],
      { cwd: local },
    );
    await execa('qemu-io', ['-f', 'vmdk', '-c', 'write -P 0xa5 4M 1M', join(local, 'delta.vmdk')]);
    await execa('qemu-img', [
      'create',
      '-q',
      '-f',
      'vmdk',
      '-o',
      'subformat=monolithicFlat',
      join(local, 'flat.vmdk'),
      '8M',
    ]);
  });
  after(async () => vc?.stop());

  it('shuts a running VM down only when the policy allows it, then copies its chain with sha256s', async () => {
    // The delta names its parent "base.vmdk": both files go into the VM's folder.
    await vmWith(
      'running',
      [
        [join(local, 'delta.vmdk'), 'running.vmdk'],
        [join(local, 'base.vmdk'), 'base.vmdk'],
      ],
      true,
    );
    const { inventory: inv, disks, fingerprint } = await planned('running');
    assert.equal(inv.power_state, 'poweredOn');
    assert.deepEqual(
      disks[0].chain.map((l) => l.file),
      ['running.vmdk', 'base.vmdk'],
    );
    const dir = tempDir('h2k-fetch-');
    const input = {
      source,
      inventory: inv,
      disks,
      fingerprint,
      dir,
      configDir: dir,
      ...unwatched,
    };
    await assert.rejects(fetchVm({ ...input, policy: policyDefaults() }), /\/DC0\/vm\/running is poweredOn/);
    const r = await fetchVm({
      ...input,
      policy: { ...policyDefaults(), allow_power_off: true, power_off_timeout: 30 },
    });
    assert.equal((await inventory('running')).power_state, 'poweredOff');
    assert.match(r.note, /2 file\(s\).*the VM was shut down first/);
    assert.deepEqual(
      r.outputs.map((o) => [o.path, o.sha256]).sort(),
      [
        ['disk0/base.vmdk', await fileSha256(join(local, 'base.vmdk'))],
        ['disk0/running.vmdk', await fileSha256(join(local, 'delta.vmdk'))],
      ].sort(),
    );
    // The copied chain is readable by qemu and holds both layers' data.
    const map = await execa('qemu-img', ['map', '--output=json', join(dir, 'disk0', 'running.vmdk')]);
    assert.ok(
      JSON.parse(map.stdout).some((m: { data: boolean; depth: number }) => m.data && m.depth === 1),
      'base data seen through the delta',
    );
  });

  it('copies a descriptor with its flat extent', async () => {
    await vmWith(
      'flatvm',
      [
        [join(local, 'flat.vmdk'), 'flatvm.vmdk'],
        [join(local, 'flat-flat.vmdk'), 'flat-flat.vmdk'],
      ],
      false,
    );
    const plan = await planned('flatvm');
    assert.deepEqual(plan.disks[0].chain, [{ file: 'flatvm.vmdk', format: 'vmdk', data_files: ['flat-flat.vmdk'] }]);
    const dir = tempDir('h2k-fetch-');
    const input = {
      source,
      ...plan,
      policy: policyDefaults(),
      dir,
      configDir: dir,
      ...unwatched,
    };
    const r = await fetchVm(input);
    assert.deepEqual(
      r.outputs.map((o) => [o.path, o.size]),
      [
        ['disk0/flatvm.vmdk', statSync(join(local, 'flat.vmdk')).size],
        ['disk0/flat-flat.vmdk', 8 * 2 ** 20],
      ],
    );
    // The extent replaced after the plan by one of the same size (likely within the same second of
    // Last-Modified): the sampled hash catches it, and FETCH refuses before copying anything.
    const other = join(local, 'other-flat.vmdk');
    writeFileSync(other, Buffer.alloc(8 * 2 ** 20, 0x77));
    await vc.govc(['datastore.upload', other, 'flatvm/flat-flat.vmdk']);
    await assert.rejects(
      fetchVm({ ...input, dir: tempDir('h2k-fetch-') }),
      /\[LocalDS_0\] flatvm\/flat-flat\.vmdk changed since the plan was made/,
    );
  });

  /** A TLS proxy in front of vcsim with its own certificate (SAN 127.0.0.1); `refuse` picks the
   *  requests it answers 503 to instead of forwarding. */
  async function startProxy(refuse: (req: IncomingMessage) => boolean = () => false) {
    const keyDir = tempDir('h2k-proxy-');
    const key = join(keyDir, 'key.pem');
    const cert = join(keyDir, 'cert.pem');
    await execa('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ]);
    const thumbprint = (await execa('openssl', ['x509', '-noout', '-fingerprint', '-sha1', '-in', cert])).stdout
      .split('=')[1]
      .trim();
    const seen: string[] = [];
    const refused: string[] = [];
    const server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
      seen.push(req.url ?? '');
      if (refuse(req)) {
        refused.push(req.url ?? '');
        res.writeHead(503).end();
        return;
      }
      const up = request(
        `${new URL(vc.url).origin}${req.url}`,
        { method: req.method, headers: req.headers, rejectUnauthorized: false },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      // A client that gives up mid-answer (h2k falling back, a keep-alive socket closed) is normal.
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const close = () => {
      server.closeAllConnections();
      server.close();
    };
    return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/sdk`, thumbprint, seen, refused, close };
  }

  it(
    'falls back to govc datastore.download when the endpoint refuses a whole-file GET (proxy double: vcsim never ' +
      'refuses)',
    async () => {
      // h2k's whole-file /folder GETs (no Range header, no User-Agent: govc sends one) get 503, the
      // way an overloaded host might answer; everything else is forwarded.
      const proxy = await startProxy(
        (req) =>
          req.url?.startsWith('/folder/') === true &&
          req.method === 'GET' &&
          !req.headers.range &&
          !req.headers['user-agent'],
      );
      try {
        const plan = await planned('flatvm2', [
          [join(local, 'flat.vmdk'), 'flatvm2.vmdk'],
          [join(local, 'flat-flat.vmdk'), 'flat-flat.vmdk'],
        ]);
        const dir = tempDir('h2k-fetch-');
        const r = await fetchVm({
          source: { ...source, url: proxy.url },
          ...plan,
          policy: policyDefaults(),
          dir,
          configDir: dir,
          ...unwatched,
        });
        assert.equal(proxy.refused.length, 2, 'both whole-file GETs were refused');
        assert.match(r.note, /2 via govc/);
        assert.deepEqual(
          r.outputs.map((o) => o.sha256),
          [await fileSha256(join(local, 'flat.vmdk')), await fileSha256(join(local, 'flat-flat.vmdk'))],
        );
      } finally {
        proxy.close();
      }
    },
  );

  it(
    'pins the certificate thumbprint: no byte goes to a server that does not match, nbdkit trusts exactly the ' +
      'matched one',
    async () => {
      const proxy = await startProxy();
      try {
        const pinned = { ...source, url: proxy.url, insecure: false, thumbprint: proxy.thumbprint };
        const http = new DatastoreClient(pinned);
        const inv = await inventory('flatvm');
        const { chains } = await remoteDiskFacts(http, inv);
        assert.match(http.pinnedCertificate ?? '', /^-----BEGIN CERTIFICATE-----\n/);
        // nbdkit, with cainfo = the matched certificate and verification on, serves the disk to qemu.
        const remote = await openRemoteDisks(pinned, chains, http.pinnedCertificate);
        const info = await execa('qemu-img', ['info', '--output=json', '--backing-chain', '-U', remote.disks[0].path]);
        assert.equal(JSON.parse(info.stdout)[1].format, 'vmdk');
        assert.ok((await remote.close()) > 0, 'nbdkit read through the pinned connection');
        http.close();

        const before = proxy.seen.length;
        const wrong = new DatastoreClient({
          ...pinned,
          thumbprint: proxy.thumbprint.replace(/^../, proxy.thumbprint.startsWith('AA') ? 'BB' : 'AA'),
        });
        await assert.rejects(
          wrong.size(`${new URL(proxy.url).origin}/folder/flatvm/flatvm.vmdk?dcPath=DC0&dsName=LocalDS_0`),
          /TLS: the certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted \(tls: thumbprint mismatch/,
        );
        wrong.close();
        assert.equal(proxy.seen.length, before, 'the mismatching server received no request');
      } finally {
        proxy.close();
      }
    },
  );

  it(
    'reads remote chains with exactly the content of the local files: a sparse delta on its base, split ' +
      'sparse extents',
    async () => {
      const split = join(local, 'split.vmdk');
      await execa('qemu-img', ['create', '-q', '-f', 'vmdk', '-o', 'subformat=twoGbMaxExtentSparse', split, '16M']);
      await execa('qemu-io', ['-f', 'vmdk', '-c', 'write -P 0x3c 2M 3M', split]);
      const plan = await planned('splitvm', [
        [split, 'splitvm.vmdk'],
        [join(local, 'split-s001.vmdk'), 'split-s001.vmdk'],
      ]);
      assert.deepEqual(plan.disks[0].chain, [
        { file: 'splitvm.vmdk', format: 'vmdk', data_files: ['split-s001.vmdk'] },
      ]);
      for (const [name, localFile] of [
        ['splitvm', split],
        ['running', join(local, 'delta.vmdk')],
      ] as const) {
        const http = new DatastoreClient(source);
        const { chains } = await remoteDiskFacts(http, await inventory(name));
        const remote = await openRemoteDisks(source, chains);
        try {
          const cmp = await execa('qemu-img', ['compare', '-U', remote.disks[0].path, localFile], { reject: false });
          assert.equal(cmp.exitCode, 0, `${name}: ${cmp.stdout}${cmp.stderr}`);
        } finally {
          await remote.close();
          http.close();
        }
      }
    },
  );

  it('refuses a descriptor that names a file outside its directory, before reading it', async () => {
    const hostile = join(local, 'hostile.vmdk');
    writeFileSync(
      hostile,
      '# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType="monolithicFlat"\nRW ' +
        '16384 FLAT "../running/base.vmdk" 0\n',
    );
    await vmWith('hostile', [[hostile, 'hostile.vmdk']], false);
    const dir = writeConfig({
      'main.h2k.hcl':
        `variable "pw" {\n  type      = string\n  sensitive = true\n}\nsource "vsphere" "lab" {\n  url        = ` +
        `"${vc.url}"\n  username   = "${VC_USER}"\n  password   = var.pw\n  insecure   = true\n  datacenter = ` +
        `"DC0"\n}\nvm "h" {\n  source = source.vsphere.lab\n  name   = "hostile"\n}\n`,
    });
    const r = await h2k(['plan', dir], { env: { H2K_VAR_pw: VC_PASSWORD } });
    assert.equal(r.exitCode, 1);
    assert.match(
      r.stderr,
      new RegExp(
        String.raw`^Error: vm\.h: \[LocalDS_0\] hostile\/hostile\.vmdk: extent "\.\.\/running\/base\.vmdk" is not` +
          String.raw` a file next to it\n {2}hint: h2k reads a disk chain only from one datastore directory`,
        'm',
      ),
    );
    assert.doesNotMatch(r.stderr, /inspected in/);
  });
});
